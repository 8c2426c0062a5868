// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import java.util.OptionalLong;

/**
 * The MSRs that belong to the local APIC (IA32_APIC_BASE 0x1B, TSC_DEADLINE
 * 0x6E0 and the x2APIC range 0x800-0x8FF); the machine's local APICs plug in
 * here. An empty read or a refused write is #GP(0), as the APIC decides (for
 * example x2APIC registers while the APIC is in xAPIC mode).
 */
public interface ApicMsrs {
    /** Without an APIC model: the x2APIC range reads 0 and ignores writes; IA32_APIC_BASE stays with MsrFile. */
    ApicMsrs NONE = new ApicMsrs() {
        @Override
        public boolean handles(int msr) {
            return msr >= 0x800 && msr <= 0x8ff;
        }

        @Override
        public OptionalLong read(int cpu, int msr) {
            return OptionalLong.of(0);
        }

        @Override
        public boolean write(int cpu, int msr, long value) {
            return true;
        }
    };

    boolean handles(int msr);

    OptionalLong read(int cpu, int msr);

    boolean write(int cpu, int msr, long value);
}
