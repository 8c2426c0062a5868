// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

/**
 * Something on the board that ends a slice: the guest wrote the isa-debug-exit port, powered
 * the machine off or asked for a reset (each ends the run for good), or wrote the snapshot
 * marker (which ends only {@link Machine#runToMarker()}).
 */
sealed interface BoardEvent {
    /** Why the run stops for this event. */
    StopReason stopReason();

    /** The guest wrote {@code value} to the isa-debug-exit port: status {@code (value << 1) | 1}. */
    record ExitPort(int value, int status) implements BoardEvent {
        @Override
        public StopReason stopReason() {
            return new StopReason.GuestExit(value, status);
        }
    }

    /** ACPI S5 from the PM block, or a plug-in device's power-off. */
    record PowerOff(String reason) implements BoardEvent {
        @Override
        public StopReason stopReason() {
            return new StopReason.PowerOff(reason);
        }
    }

    /** An 8042 pulse, the ACPI reset register, or a plug-in device's reset. */
    record Reset(String reason) implements BoardEvent {
        @Override
        public StopReason stopReason() {
            return new StopReason.Reset(reason);
        }
    }

    /** The guest wrote {@code value} to {@link SnapshotMarker#PORT}. */
    record Marker(int value) implements BoardEvent {
        @Override
        public StopReason stopReason() {
            return new StopReason.Marker(value);
        }
    }
}
