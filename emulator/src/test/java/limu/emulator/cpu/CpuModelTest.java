// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class CpuModelTest {
    final CpuModel four = new CpuModel(4, 1_000_000_000L);

    @Test
    void vendorFeaturesAndAddressSizes() {
        int[] v = four.cpuid(0, 0, 0);
        assertEquals(0x756e6547, v[1]);
        assertEquals(0x49656e69, v[3]);
        assertEquals(0x6c65746e, v[2]);
        int[] f = four.cpuid(2, 1, 0);
        assertEquals(2, f[1] >>> 24, "initial APIC ID = CPU index");
        assertNotEquals(0, f[2] & (1 << 21), "x2APIC");
        assertEquals(0, f[2] & (1 << 28), "no AVX");
        assertEquals(0, f[2] & (1 << 31), "no hypervisor bit");
        assertEquals(0x3028, four.cpuid(0, 0x80000008, 0)[0], "48 linear, 40 physical bits");
        assertNotEquals(0, four.cpuid(0, 0x80000007, 0)[3] & (1 << 8), "invariant TSC");
    }

    @Test
    void topologyMatchesTheCpuCount() {
        assertArrayEquals(new int[] {0, 1, 0x100, 3}, four.cpuid(3, 0xb, 0));
        assertArrayEquals(new int[] {2, 4, 0x201, 3}, four.cpuid(3, 0xb, 1));
        assertArrayEquals(new int[] {0, 0, 2, 3}, four.cpuid(3, 0x1f, 2));
    }

    @Test
    void tscFrequencyFromLeaf15() {
        int[] l = four.cpuid(0, 0x15, 0);
        assertEquals(1_000_000_000L, (long) l[2] * l[1] / l[0]);
        assertEquals(1000, four.cpuid(0, 0x16, 0)[0]);
    }

    @Test
    void leavesAboveTheMaximumAnswerAsTheHighestBasicLeaf() {
        assertArrayEquals(four.cpuid(0, 0x1f, 0), four.cpuid(0, 0x20, 0));
        assertArrayEquals(four.cpuid(0, 0x1f, 0), four.cpuid(0, 0x80000009, 0));
    }

    @Test
    void msrFileKnowsTheMsrsKernelsTouchAndFaultsOnOthers() {
        FakeEngine e = new FakeEngine();
        MsrFile bsp = new MsrFile(0, e, ApicMsrs.NONE);
        MsrFile ap = new MsrFile(1, e, ApicMsrs.NONE);
        assertEquals(0xfee00900L, bsp.read(MsrFile.APIC_BASE, 0));
        assertEquals(0xfee00800L, ap.read(MsrFile.APIC_BASE, 0));
        bsp.write(MsrFile.APIC_BASE, 0xfee00c00L, 0);
        assertEquals(0xfee00d00L, bsp.read(MsrFile.APIC_BASE, 0), "x2APIC enable kept, BSP bit read-only");
        GuestFault f = assertThrows(GuestFault.class, () -> bsp.read(0x12345678, 0));
        assertEquals(13, f.vector);
        assertEquals(0, f.errorCode);
        assertThrows(GuestFault.class, () -> bsp.write(MsrFile.PAT, 0x02, 0), "PAT type 2 is reserved");
        assertThrows(GuestFault.class, () -> bsp.write(MsrFile.LSTAR, 0x0000800000000000L, 0));
        bsp.write(MsrFile.TSC_DEADLINE, 42, 0);
        assertEquals(42, bsp.read(MsrFile.TSC_DEADLINE, 0));
        assertEquals(0, bsp.read(0x802, 0), "x2APIC range goes to the (absent) local APIC");
        bsp.write(MsrFile.TSC, 1000, 500);
        assertEquals(1100, bsp.read(MsrFile.TSC, 600));
    }

    @Test
    void msrSitesIncludeRexPrefixedInstructions() {
        byte[] code = {(byte) 0x90, 0x0f, 0x32, 0x48, 0x0f, 0x30, 0x0f, 0x31};
        assertEquals(List.of(0x1001L, 0x1003L, 0x1004L), CpuCore.msrSites(0x1000, code));
    }
}
