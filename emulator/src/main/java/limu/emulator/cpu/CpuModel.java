// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import java.nio.charset.StandardCharsets;

/**
 * The one CPU limu shows the guest through CPUID: a "GenuineIntel" family 6
 * x86-64 CPU with only the features Unicorn 2.1.4 really executes (no AVX:
 * 256-bit AVX is an invalid instruction there; no XSAVE, no PCID), plus what
 * limu emulates itself: x2APIC and TSC-deadline (the local APIC), an invariant
 * TSC at {@code tscHz} (leaves 0x15/0x16), 1 GiB pages, NX, SYSCALL, RDTSCP,
 * MAXPHYADDR 40 / 48 linear bits, no hypervisor bit, and a topology of
 * {@code cpus} cores with one thread each whose x2APIC ID is the CPU index
 * (leaves 0xB and 0x1F).
 */
public final class CpuModel {
    static final int MAX_BASIC = 0x1f;
    static final int MAX_EXTENDED = 0x80000008;
    /** Family 6, model 0x3C, stepping 3: a plain 64-bit Intel core. */
    public static final int SIGNATURE = 0x000306c3;
    static final String BRAND = "limu virtual x86-64 CPU";

    // CPUID.1:EDX
    static final int FPU = 1, DE = 1 << 2, PSE = 1 << 3, TSC = 1 << 4, MSR = 1 << 5, PAE = 1 << 6, CX8 = 1 << 8,
            APIC = 1 << 9, SEP = 1 << 11, MTRR = 1 << 12, PGE = 1 << 13, CMOV = 1 << 15, PAT = 1 << 16,
            PSE36 = 1 << 17, CLFSH = 1 << 19, MMX = 1 << 23, FXSR = 1 << 24, SSE = 1 << 25, SSE2 = 1 << 26,
            HTT = 1 << 28;
    // CPUID.1:ECX
    static final int SSE3 = 1, SSSE3 = 1 << 9, CX16 = 1 << 13, SSE41 = 1 << 19, SSE42 = 1 << 20, X2APIC = 1 << 21,
            POPCNT = 1 << 23, TSC_DEADLINE = 1 << 24;
    // CPUID.80000001:EDX / ECX
    static final int SYSCALL = 1 << 11, NX = 1 << 20, PAGE1GB = 1 << 26, RDTSCP = 1 << 27, LM = 1 << 29;
    static final int LAHF_LM = 1;

    private final int cpus;
    private final long tscHz;
    private final boolean x2apic;

    public CpuModel(int cpus, long tscHz) {
        this(cpus, tscHz, true);
    }

    /** {@code x2apic}: whether CPUID.1:ECX[21] reports the x2APIC (limu run --no-x2apic clears it). */
    public CpuModel(int cpus, long tscHz, boolean x2apic) {
        if (cpus < 1 || tscHz < 1_000_000 || tscHz % 1_000_000 != 0) {
            throw new IllegalArgumentException("cpus " + cpus + ", TSC " + tscHz + " Hz");
        }
        this.cpus = cpus;
        this.tscHz = tscHz;
        this.x2apic = x2apic;
    }

    public int cpus() {
        return cpus;
    }

    /** EAX, EBX, ECX, EDX for CPUID leaf {@code eax}, subleaf {@code ecx}, on CPU {@code cpu} (its APIC ID). */
    public int[] cpuid(int cpu, int eax, int ecx) {
        int leaf = eax;
        boolean extended = Integer.compareUnsigned(leaf, 0x80000000) >= 0;
        // Intel: a leaf above the maximum answers as the highest basic leaf
        if (extended ? Integer.compareUnsigned(leaf, MAX_EXTENDED) > 0 : leaf > MAX_BASIC) {
            leaf = MAX_BASIC;
        }
        return switch (leaf) {
            case 0 -> new int[] {MAX_BASIC, 0x756e6547, 0x6c65746e, 0x49656e69};   // "GenuineIntel"
            case 1 -> new int[] {SIGNATURE, (cpu << 24) | (Math.min(cpus, 255) << 16) | (8 << 8),
                SSE3 | SSSE3 | CX16 | SSE41 | SSE42 | (x2apic ? X2APIC : 0) | POPCNT | TSC_DEADLINE,
                FPU | DE | PSE | TSC | MSR | PAE | CX8 | APIC | SEP | MTRR | PGE | CMOV | PAT | PSE36 | CLFSH | MMX
                    | FXSR | SSE | SSE2 | (cpus > 1 ? HTT : 0)};
            case 6 -> new int[] {1 << 2, 0, 0, 0};                                 // ARAT: APIC timer always runs
            case 0xb, 0x1f -> topology(cpu, ecx);
            case 0x15 -> new int[] {1, (int) (tscHz / 25_000_000L), 25_000_000, 0}; // 25 MHz crystal x ratio
            case 0x16 -> new int[] {(int) (tscHz / 1_000_000), (int) (tscHz / 1_000_000), 100, 0};
            case 0x80000000 -> new int[] {MAX_EXTENDED, 0, 0, 0};
            case 0x80000001 -> new int[] {0, 0, LAHF_LM, SYSCALL | NX | PAGE1GB | RDTSCP | LM};
            case 0x80000002, 0x80000003, 0x80000004 -> brand(leaf - 0x80000002);
            case 0x80000006 -> new int[] {0, 0, (256 << 16) | (6 << 12) | 64, 0};  // 256 KiB L2, 8-way, 64 B lines
            case 0x80000007 -> new int[] {0, 0, 0, 1 << 8};                        // invariant TSC
            case 0x80000008 -> new int[] {(48 << 8) | PageWalker.MAXPHYADDR, 0, 0, 0};
            default -> new int[4];
        };
    }

    /** Leaf 0xB/0x1F: level 0 = SMT (one thread a core), level 1 = core (all CPUs in one package). */
    private int[] topology(int cpu, int level) {
        int coreShift = 32 - Integer.numberOfLeadingZeros(Math.max(cpus - 1, 0));
        return switch (level) {
            case 0 -> new int[] {0, 1, (1 << 8), cpu};
            case 1 -> new int[] {coreShift, cpus, (2 << 8) | 1, cpu};
            default -> new int[] {0, 0, level & 0xff, cpu};
        };
    }

    private static int[] brand(int part) {
        byte[] b = new byte[48];
        byte[] s = BRAND.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(s, 0, b, 0, s.length);
        int[] r = new int[4];
        for (int i = 0; i < 4; i++) {
            int o = part * 16 + i * 4;
            r[i] = (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
        }
        return r;
    }

    /** TSC frequency in Hz (leaf 0x15: crystal 25 MHz x EBX / EAX). */
    public long tscHz() {
        return tscHz;
    }
}
