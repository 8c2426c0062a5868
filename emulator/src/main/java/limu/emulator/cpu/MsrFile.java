// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import java.util.HashMap;
import java.util.Map;
import limu.emulator.unicorn.Engine;

/**
 * The MSRs of one CPU as RDMSR/WRMSR see them. Those Unicorn implements
 * itself (EFER, PAT, FS/GS/KERNEL_GS base, STAR/LSTAR/CSTAR/SFMASK, SYSENTER)
 * live in the engine, checked here first as the CPU would; limu keeps the
 * others (IA32_APIC_BASE, TSC, TSC_DEADLINE, TSC_AUX, MTRRs, MISC_ENABLE);
 * the x2APIC range goes to {@link ApicMsrs}; anything else is #GP(0), as on
 * hardware (Unicorn would read 0 and ignore writes).
 */
public final class MsrFile {
    public static final int TSC = 0x10, APIC_BASE = 0x1b, FEATURE_CONTROL = 0x3a, BIOS_SIGN_ID = 0x8b,
            MTRRCAP = 0xfe, SYSENTER_CS = 0x174, SYSENTER_ESP = 0x175, SYSENTER_EIP = 0x176, MISC_ENABLE = 0x1a0,
            PAT = 0x277, MTRR_DEF_TYPE = 0x2ff, TSC_DEADLINE = 0x6e0, EFER = 0xc0000080, STAR = 0xc0000081,
            LSTAR = 0xc0000082, CSTAR = 0xc0000083, SFMASK = 0xc0000084, FS_BASE = 0xc0000100,
            GS_BASE = 0xc0000101, KERNEL_GS_BASE = 0xc0000102, TSC_AUX = 0xc0000103;

    /** Limine's value (docs/limine-notes.md, "CPU state at entry"): PAT0..5 = WB, WT, UC-, UC, WP, WC. */
    public static final long LIMINE_PAT = 0x0000010500070406L;
    static final long APIC_BASE_DEFAULT = 0xfee00000L | (1 << 11);

    private final int cpu;
    private final Engine engine;
    private final ApicMsrs apic;
    private final Map<Integer, Long> kept = new HashMap<>();
    private long apicBase;
    private long tscOffset;
    private long tscAux;
    private long lastTsc = Long.MIN_VALUE;

    public MsrFile(int cpu, Engine engine, ApicMsrs apic) {
        this.cpu = cpu;
        this.engine = engine;
        this.apic = apic;
        this.apicBase = APIC_BASE_DEFAULT | (cpu == 0 ? 1 << 8 : 0);
        kept.put(MTRR_DEF_TYPE, 0xc06L);                       // MTRRs on, fixed on, default WB (OVMF)
        kept.put(MISC_ENABLE, 1L);                             // fast strings
        kept.put(FEATURE_CONTROL, 1L);                         // locked, VMX off
        kept.put(BIOS_SIGN_ID, 0L);
        kept.put(TSC_DEADLINE, 0L);
        for (int i = 0x200; i < 0x210; i++) {                  // 8 variable MTRR pairs, all off
            kept.put(i, 0L);
        }
        for (int i : new int[] {0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f}) {
            kept.put(i, 0x0606060606060606L);                  // fixed-range MTRRs: WB
        }
    }

    /** What limu keeps of a CPU's MSRs (Unicorn keeps the rest in its CPU state), for snapshots. */
    public record State(Map<Integer, Long> kept, long apicBase, long tscOffset, long tscAux, long lastTsc) {
        public State {
            kept = Map.copyOf(kept);
        }
    }

    public State state() {
        return new State(kept, apicBase, tscOffset, tscAux, lastTsc);
    }

    public void restore(State s) {
        kept.clear();
        kept.putAll(s.kept());
        apicBase = s.apicBase();
        tscOffset = s.tscOffset();
        tscAux = s.tscAux();
        lastTsc = s.lastTsc();
    }

    /** The guest-visible TSC: the clock's value plus this CPU's offset, strictly increasing. */
    public long tsc(long clockTsc) {
        long v = clockTsc + tscOffset;
        if (v <= lastTsc) {
            v = lastTsc + 1;
        }
        lastTsc = v;
        return v;
    }

    public long tscAux() {
        return tscAux;
    }

    /** The value of RDMSR {@code index}; a GuestFault #GP(0) when there is no such MSR. */
    long read(int index, long clockTsc) {
        if (apic.handles(index)) {
            return apic.read(cpu, index).orElseThrow(() -> GuestFault.gp(0,
                    String.format("RDMSR of APIC MSR 0x%x refused by the local APIC in its current mode", index)));
        }
        switch (index) {
            case TSC:
                return tsc(clockTsc);
            case APIC_BASE:
                return apicBase;
            case MTRRCAP:
                return 0x508;                                   // 8 variable ranges, fixed ranges, WC
            case TSC_AUX:
                return tscAux;
            case EFER, PAT, STAR, LSTAR, CSTAR, SFMASK, FS_BASE, GS_BASE, KERNEL_GS_BASE, SYSENTER_CS, SYSENTER_ESP,
                    SYSENTER_EIP:
                return engine.readMsr(index);
            default:
                Long v = kept.get(index);
                if (v == null) {
                    throw GuestFault.gp(0, String.format("RDMSR of MSR 0x%x, which this CPU does not have", index));
                }
                return v;
        }
    }

    /** WRMSR; a GuestFault #GP(0) for an unknown MSR, a read-only one, or a reserved bit set. */
    void write(int index, long value, long clockTsc) {
        if (apic.handles(index)) {
            if (!apic.write(cpu, index, value)) {
                throw GuestFault.gp(0, String.format("WRMSR 0x%x = 0x%x refused by the local APIC", index, value));
            }
            return;
        }
        switch (index) {
            case TSC -> tscOffset = value - clockTsc;
            case APIC_BASE -> {
                // writable: EXTD (10), EN (11), base 12..39; BSP (8) is read-only; the rest reserved
                if ((value & ~(0xff_ffff_f000L | (1 << 8) | (1 << 10) | (1 << 11))) != 0) {
                    throw reserved(index, value);
                }
                apicBase = (value & ~(1L << 8)) | (apicBase & (1 << 8));
            }
            case TSC_AUX -> {
                if ((value >>> 32) != 0) {
                    throw reserved(index, value);
                }
                tscAux = value;
            }
            case EFER -> {
                // SCE, LME, LMA (read-only here: it follows LME and paging), NXE
                if ((value & ~0xd01L) != 0) {
                    throw reserved(index, value);
                }
                engine.writeMsr(index, (value & ~(1L << 10)) | (engine.readMsr(EFER) & (1L << 10)));
            }
            case PAT -> {
                for (int i = 0; i < 8; i++) {
                    long type = (value >>> (8 * i)) & 0xff;
                    if (type == 2 || type == 3 || type > 7) {
                        throw reserved(index, value);
                    }
                }
                engine.writeMsr(index, value);
            }
            case LSTAR, CSTAR, FS_BASE, GS_BASE, KERNEL_GS_BASE, SYSENTER_ESP, SYSENTER_EIP -> {
                if (!PageWalker.canonical(value, false)) {
                    throw GuestFault.gp(0, String.format("WRMSR 0x%x with the non-canonical address 0x%x", index,
                            value));
                }
                engine.writeMsr(index, value);
            }
            case STAR, SFMASK, SYSENTER_CS -> engine.writeMsr(index, index == SFMASK ? value & 0xffffffffL : value);
            case MTRRCAP -> throw GuestFault.gp(0, "WRMSR to the read-only IA32_MTRRCAP");
            default -> {
                if (kept.containsKey(index)) {
                    kept.put(index, value);
                } else {
                    throw GuestFault.gp(0, String.format("WRMSR of MSR 0x%x, which this CPU does not have", index));
                }
            }
        }
    }

    private static GuestFault reserved(int index, long value) {
        return GuestFault.gp(0, String.format("WRMSR 0x%x with reserved bits set: 0x%x", index, value));
    }
}
