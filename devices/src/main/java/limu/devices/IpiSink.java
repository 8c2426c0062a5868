// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/**
 * How local APICs reach the machine's CPUs for what only the CPU side can do:
 * reset a CPU (INIT), start it (start-up IPI) and wake it when it has something
 * to take. Keyed by the APIC ID of the receiving local APIC; the machine maps
 * IDs to vCPUs.
 */
public interface IpiSink {
    /**
     * The local APIC {@code apicId} accepted an INIT (its own registers are already
     * reset as INIT demands): the machine puts that CPU into wait-for-SIPI
     * (an AP) or resets it.
     */
    void init(int apicId);

    /**
     * The local APIC {@code apicId} accepted a start-up IPI with {@code vector}: a CPU
     * waiting for SIPI starts in real mode at CS:IP = (vector·0x100):0, i.e.
     * physical {@code vector · 0x1000}. A CPU not waiting ignores it.
     */
    void startup(int apicId, int vector);

    /**
     * Something the CPU may now take became pending at {@code apicId}: a fixed
     * interrupt in IRR, an NMI, SMI or ExtINT. A halted CPU should re-check.
     */
    default void interruptPending(int apicId) {
    }

    IpiSink NONE = new IpiSink() {
        @Override
        public void init(int apicId) {
        }

        @Override
        public void startup(int apicId, int vector) {
        }
    };
}
