// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.List;
import java.util.Map;
import limu.devices.Device;
import limu.devices.DeviceContext;
import limu.devices.DeviceProvider;
import limu.devices.PortRange;
import limu.devices.Snapshottable;

/** Plug-in devices of the emulator's tests (registered through ServiceLoader in the test resources). */
final class TestPlugins {
    private TestPlugins() {
    }

    /** A byte latch on port 0x510: what was written reads back; it takes part in snapshots. */
    static final class Latch implements Device, Snapshottable<Latch.State> {
        static final int PORT = 0x510;

        record State(int value) {
        }

        private int value;

        @Override
        public String name() {
            return "latch";
        }

        @Override
        public List<PortRange> ports() {
            return List.of(new PortRange(PORT, 1));
        }

        @Override
        public int portRead(int port, int size) {
            return value;
        }

        @Override
        public void portWrite(int port, int size, int v) {
            value = v & 0xff;
        }

        @Override
        public void reset() {
            value = 0;
        }

        @Override
        public State state() {
            return new State(value);
        }

        @Override
        public void restore(State s) {
            value = s.value();
        }
    }

    /** A device without Snapshottable on port 0x511. */
    static final class Opaque implements Device {
        @Override
        public String name() {
            return "opaque";
        }

        @Override
        public List<PortRange> ports() {
            return List.of(new PortRange(0x511, 1));
        }

        @Override
        public void reset() {
        }
    }

    public static final class LatchProvider implements DeviceProvider {
        @Override
        public String name() {
            return "latch";
        }

        @Override
        public String description() {
            return "test: a snapshottable byte latch on port 0x510";
        }

        @Override
        public Device create(DeviceContext context, Map<String, String> options) {
            return new Latch();
        }
    }

    public static final class OpaqueProvider implements DeviceProvider {
        @Override
        public String name() {
            return "opaque";
        }

        @Override
        public String description() {
            return "test: a device that cannot be snapshotted";
        }

        @Override
        public Device create(DeviceContext context, Map<String, String> options) {
            return new Opaque();
        }
    }
}
