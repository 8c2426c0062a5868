// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/**
 * What connects I/O APICs and local APICs: messages go out to the local APICs
 * their destination selects, and a local APIC's EOI for a level-triggered
 * vector goes back to every I/O APIC. {@link ApicRouter} is the
 * implementation; the machine builds one and gives it every APIC.
 */
public interface ApicBus {
    /** Deliver {@code message} to the local APICs its destination (or shorthand) selects. */
    void deliver(InterruptMessage message);

    /** A local APIC accepted an EOI for a level-triggered {@code vector}: tell the I/O APICs. */
    void broadcastEoi(int vector);
}
