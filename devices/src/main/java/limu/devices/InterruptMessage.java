// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/**
 * An interrupt message on the APIC bus (the system bus, on a modern PC): what an
 * I/O APIC redirection entry or a local APIC's ICR sends.
 *
 * @param vector        0-255 (ignored for NMI, INIT, SMI, ExtINT)
 * @param mode          how the receiver treats it
 * @param logical       logical (true) or physical destination mode
 * @param destination   the destination field: 8 bits from an I/O APIC or an xAPIC ICR,
 *                      32 bits from an x2APIC ICR (see {@code x2apicFormat})
 * @param x2apicFormat  the destination is an x2APIC 32-bit one (broadcast 0xFFFFFFFF);
 *                      otherwise 8 bits (broadcast 0xFF)
 * @param shorthand     destination shorthand; with anything but {@link Shorthand#NONE} the destination is ignored
 * @param levelTriggered the trigger mode: level-triggered fixed interrupts set the TMR bit
 *                      and make the EOI broadcast to the I/O APICs
 * @param source        APIC ID of the sending local APIC, or -1 for an I/O APIC
 */
public record InterruptMessage(int vector, DeliveryMode mode, boolean logical, int destination,
                               boolean x2apicFormat, Shorthand shorthand, boolean levelTriggered, int source) {

    /** ICR destination shorthands (bits 18-19). */
    public enum Shorthand {
        NONE, SELF, ALL_INCLUDING_SELF, ALL_EXCLUDING_SELF;

        public static Shorthand of(int code) {
            return values()[code & 3];
        }
    }

    public InterruptMessage {
        if (vector < 0 || vector > 0xFF) {
            throw new IllegalArgumentException("vector " + vector);
        }
        if (mode == null || shorthand == null) {
            throw new NullPointerException("delivery mode / shorthand");
        }
        if (!x2apicFormat && (destination & ~0xFF) != 0) {
            throw new IllegalArgumentException(String.format("8-bit destination 0x%x", destination));
        }
    }

    /** A message from an I/O APIC redirection entry. */
    public static InterruptMessage fromIoApic(int vector, DeliveryMode mode, boolean logical, int destination,
                                              boolean levelTriggered) {
        return new InterruptMessage(vector, mode, logical, destination, false, Shorthand.NONE, levelTriggered, -1);
    }

    /** True if the destination field is the broadcast value for its format. */
    public boolean broadcast() {
        return x2apicFormat ? destination == -1 : destination == 0xFF;
    }
}
