// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/**
 * The delivery modes of an APIC interrupt message, with their 3-bit encodings
 * in I/O APIC redirection entries, local APIC LVT entries and the ICR
 * (Intel SDM vol. 3A §11.5.1 and §11.6.1; 82093AA datasheet §3.2.4).
 */
public enum DeliveryMode {
    FIXED(0),
    LOWEST_PRIORITY(1),
    SMI(2),
    NMI(4),
    INIT(5),
    /** Start-up IPI; ICR only. */
    STARTUP(6),
    /** "External interrupt": the vector comes from the 8259 by an INTA cycle. */
    EXTINT(7);

    private final int code;

    DeliveryMode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The mode encoded as {@code code} (0-7), or null for the reserved encodings 3 (and 6 where not an ICR). */
    public static DeliveryMode of(int code) {
        return switch (code & 7) {
            case 0 -> FIXED;
            case 1 -> LOWEST_PRIORITY;
            case 2 -> SMI;
            case 4 -> NMI;
            case 5 -> INIT;
            case 6 -> STARTUP;
            case 7 -> EXTINT;
            default -> null;
        };
    }
}
