// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.List;
import java.util.OptionalLong;

/**
 * One CPU's local APIC: xAPIC registers in the 4 KiB window IA32_APIC_BASE
 * names, and the same registers as x2APIC MSRs 0x800 + (offset >> 4) once
 * IA32_APIC_BASE.EXTD is set (Intel SDM vol. 3A ch. 11, "Advanced Programmable
 * Interrupt Controller"; §11.12 for x2APIC). Looks like QEMU's: version
 * 0x00050014 (six LVT entries, so no CMCI register), APIC timer clocked at
 * {@link #DEFAULT_BUS_HZ}, TSC-deadline mode supported.
 *
 * <h2>CPU side</h2>
 * The emulator's interrupt delivery asks, at an instruction boundary:
 * {@link #takeNmi()} (NMI pending), then, if RFLAGS.IF allows,
 * {@link #extIntPending()} (the vector then comes from the 8259's INTA,
 * followed by {@link #acknowledgeExtInt()}), else {@link #nextDeliverable()}
 * and, if ≥ 0, {@link #acknowledge(int)} before vectoring through the IDT.
 * The APIC tells the machine through {@link IpiSink#interruptPending} when any
 * of these may have become true, so a halted CPU can be woken. Because
 * acknowledgement is atomic with the check, a spurious interrupt never occurs.
 *
 * <h2>MSRs</h2>
 * {@link #readMsr}/{@link #writeMsr} handle IA32_APIC_BASE (0x1B),
 * IA32_TSC_DEADLINE (0x6E0) and the x2APIC range 0x800-0x8FF; an empty result
 * or {@code false} means the access raises #GP(0) (SDM §11.12.1.2 and §11.12.5).
 *
 * <h2>Window</h2>
 * Every CPU sees its own APIC at its own IA32_APIC_BASE, so this device is not
 * attached to the shared {@link MmioBus}: the emulator routes an access to the
 * current CPU's APIC when {@link #decodes(long)} says so, with offsets from
 * {@link #windowBase()}.
 * <p>
 * Deliberately left out: SMI handling beyond a pending flag, the CMCI, thermal
 * and performance-counter events (their LVTs are registers only), focus
 * processor checking, EOI-broadcast suppression, level-triggered fixed
 * interrupts on LINT0/1 (treated as edge).
 */
public final class LocalApic implements Device, Snapshottable<LocalApic.State> {
    public static final long DEFAULT_BASE = 0xFEE0_0000L;
    public static final long WINDOW_SIZE = 0x1000;
    /** APIC timer input clock: QEMU's 1 GHz bus clock. */
    public static final long DEFAULT_BUS_HZ = 1_000_000_000L;
    /** Version register: version 0x14, max LVT entry 5 (six LVTs), no EOI-broadcast suppression. */
    public static final int VERSION = 0x0005_0014;

    // MSRs.
    public static final int IA32_APIC_BASE = 0x1B;
    public static final int IA32_TSC_DEADLINE = 0x6E0;
    public static final int X2APIC_MSR_BASE = 0x800;
    public static final int X2APIC_MSR_LAST = 0x8FF;

    // IA32_APIC_BASE bits.
    public static final long BASE_BSP = 1L << 8;
    public static final long BASE_EXTD = 1L << 10;
    public static final long BASE_ENABLE = 1L << 11;
    /** Physical address bits the base may use (MAXPHYADDR as our CPUID reports it). */
    static final int PHYSICAL_ADDRESS_BITS = 48;
    static final long BASE_ADDRESS_MASK = ((1L << PHYSICAL_ADDRESS_BITS) - 1) & ~0xFFFL;

    // Register offsets in the xAPIC window (x2APIC MSR = 0x800 + offset / 16).
    public static final int ID = 0x20;
    public static final int VER = 0x30;
    public static final int TPR = 0x80;
    public static final int APR = 0x90;
    public static final int PPR = 0xA0;
    public static final int EOI = 0xB0;
    public static final int RRD = 0xC0;
    public static final int LDR = 0xD0;
    public static final int DFR = 0xE0;
    public static final int SVR = 0xF0;
    public static final int ISR = 0x100;
    public static final int TMR = 0x180;
    public static final int IRR = 0x200;
    public static final int ESR = 0x280;
    public static final int LVT_CMCI = 0x2F0;
    public static final int ICR_LOW = 0x300;
    public static final int ICR_HIGH = 0x310;
    public static final int LVT_TIMER = 0x320;
    public static final int LVT_THERMAL = 0x330;
    public static final int LVT_PMC = 0x340;
    public static final int LVT_LINT0 = 0x350;
    public static final int LVT_LINT1 = 0x360;
    public static final int LVT_ERROR = 0x370;
    public static final int TIMER_INITIAL_COUNT = 0x380;
    public static final int TIMER_CURRENT_COUNT = 0x390;
    public static final int TIMER_DIVIDE = 0x3E0;
    /** x2APIC only: MSR 0x83F. */
    public static final int SELF_IPI = 0x3F0;

    // SVR.
    public static final int SVR_ENABLE = 1 << 8;
    public static final int SVR_FOCUS_DISABLE = 1 << 9;
    static final int SVR_WRITABLE = 0xFF | SVR_ENABLE | SVR_FOCUS_DISABLE;

    // LVT bits.
    public static final int LVT_VECTOR = 0xFF;
    public static final int LVT_DELIVERY_MODE_SHIFT = 8;
    public static final int LVT_DELIVERY_STATUS = 1 << 12;
    public static final int LVT_ACTIVE_LOW = 1 << 13;
    public static final int LVT_REMOTE_IRR = 1 << 14;
    public static final int LVT_LEVEL = 1 << 15;
    public static final int LVT_MASKED = 1 << 16;
    public static final int LVT_TIMER_MODE_SHIFT = 17;
    public static final int TIMER_ONE_SHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2;

    // ICR bits.
    public static final int ICR_DEST_LOGICAL = 1 << 11;
    public static final int ICR_DELIVERY_STATUS = 1 << 12;
    public static final int ICR_LEVEL_ASSERT = 1 << 14;
    public static final int ICR_TRIGGER_LEVEL = 1 << 15;
    public static final int ICR_SHORTHAND_SHIFT = 18;
    static final int ICR_WRITABLE = 0xFF | 7 << 8 | ICR_DEST_LOGICAL | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL
            | 3 << ICR_SHORTHAND_SHIFT;

    // ESR bits (SDM §11.5.3).
    public static final int ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
    public static final int ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
    public static final int ESR_ILLEGAL_REGISTER = 1 << 7;

    // DFR models.
    public static final int DFR_FLAT = 0xFFFF_FFFF;
    public static final int DFR_CLUSTER = 0x0FFF_FFFF;

    // LVT entries in order of their offsets 0x320..0x370.
    private static final int L_TIMER = 0, L_THERMAL = 1, L_PMC = 2, L_LINT0 = 3, L_LINT1 = 4, L_ERROR = 5;
    private static final int LVT_COUNT = 6;
    private static final int[] LVT_WRITABLE = {
        LVT_VECTOR | LVT_MASKED | 3 << LVT_TIMER_MODE_SHIFT,
        LVT_VECTOR | 7 << LVT_DELIVERY_MODE_SHIFT | LVT_MASKED,
        LVT_VECTOR | 7 << LVT_DELIVERY_MODE_SHIFT | LVT_MASKED,
        LVT_VECTOR | 7 << LVT_DELIVERY_MODE_SHIFT | LVT_ACTIVE_LOW | LVT_LEVEL | LVT_MASKED,
        LVT_VECTOR | 7 << LVT_DELIVERY_MODE_SHIFT | LVT_ACTIVE_LOW | LVT_LEVEL | LVT_MASKED,
        LVT_VECTOR | LVT_MASKED,
    };

    /**
     * Everything a local APIC needs to resume; times are absolute virtual nanoseconds.
     *
     * @param timerStart       when the current count was (re)loaded
     * @param timerStartCount  the count at {@code timerStart}
     * @param timerExpiryTicks timer ticks after {@code timerStart} of the next expiry
     */
    public record State(int id, long apicBase, int tpr, int ldr, int dfr, int svr, int esr, int esrPending,
                        List<Integer> irr, List<Integer> isr, List<Integer> tmr, List<Integer> lvt,
                        int icrLow, int icrHigh, int initialCount, int divideConfig,
                        boolean timerRunning, long timerStart, long timerStartCount, long timerExpiryTicks,
                        long tscDeadline, boolean nmiPending, boolean smiPending, boolean extIntMessage,
                        boolean lint0Level, boolean lint1Level) {
        public State {
            irr = List.copyOf(irr);
            isr = List.copyOf(isr);
            tmr = List.copyOf(tmr);
            lvt = List.copyOf(lvt);
            if (irr.size() != 8 || isr.size() != 8 || tmr.size() != 8 || lvt.size() != LVT_COUNT) {
                throw new IllegalArgumentException("IRR/ISR/TMR are 8 words and there are " + LVT_COUNT + " LVTs");
            }
        }
    }

    private final int initialId;
    private final boolean bsp;
    private final boolean x2apicSupported;
    private final VirtualTime time;
    private final ApicBus bus;
    private final IpiSink cpus;
    private final TickRate tsc;
    private final long busHz;
    private final DeviceTimer timer;
    private final InterruptLine lint0 = level -> setLint(L_LINT0, level);
    private final InterruptLine lint1 = level -> setLint(L_LINT1, level);

    private int id;
    private long apicBase;
    private int tpr;
    private int ldr;
    private int dfr;
    private int svr;
    private int esr;
    private int esrPending;
    private final int[] irr = new int[8];
    private final int[] isr = new int[8];
    private final int[] tmr = new int[8];
    private final int[] lvt = new int[LVT_COUNT];
    private int icrLow;
    private int icrHigh;
    private int initialCount;
    private int divideConfig;
    private boolean timerRunning;
    private long timerStart;
    private long timerStartCount;
    private long timerExpiryTicks;
    private long tscDeadline;
    private boolean nmiPending;
    private boolean smiPending;
    private boolean extIntMessage;
    private boolean lint0Level;
    private boolean lint1Level;

    /**
     * @param apicId          the initial APIC ID (CPUID.1:EBX[31:24] / CPUID.0xB:EDX)
     * @param bsp             this is the bootstrap processor (IA32_APIC_BASE.BSP)
     * @param x2apicSupported CPUID.1:ECX[21] as the machine reports it; without it EXTD cannot be set
     * @param tsc             the TSC's rate (for IA32_TSC_DEADLINE; TSC = ticks since virtual time 0)
     * @param busHz           the APIC timer's input clock, a multiple of 128 Hz
     */
    public LocalApic(int apicId, boolean bsp, boolean x2apicSupported, VirtualTime time, TimerScheduler timers,
                     ApicBus bus, IpiSink cpus, TickRate tsc, long busHz) {
        if (time == null || timers == null || bus == null || cpus == null || tsc == null) {
            throw new NullPointerException("local APIC dependencies");
        }
        if (apicId < 0 || !x2apicSupported && apicId > 0xFE) {
            throw new IllegalArgumentException("APIC ID " + apicId);
        }
        if (busHz <= 0 || busHz % 128 != 0) {
            throw new IllegalArgumentException("APIC bus clock " + busHz + " Hz is not a multiple of 128");
        }
        this.initialId = apicId;
        this.bsp = bsp;
        this.x2apicSupported = x2apicSupported;
        this.time = time;
        this.bus = bus;
        this.cpus = cpus;
        this.tsc = tsc;
        this.busHz = busHz;
        this.timer = timers.newTimer("lapic" + apicId + ".timer", this::timerExpired);
        powerOn();
    }

    /** A QEMU-like APIC: 1 GHz timer clock, TSC at {@code tsc}. */
    public LocalApic(int apicId, boolean bsp, boolean x2apicSupported, VirtualTime time, TimerScheduler timers,
                     ApicBus bus, IpiSink cpus, TickRate tsc) {
        this(apicId, bsp, x2apicSupported, time, timers, bus, cpus, tsc, DEFAULT_BUS_HZ);
    }

    @Override
    public String name() {
        return "lapic" + initialId;
    }

    /** The xAPIC window while it decodes (enabled, not in x2APIC mode); empty otherwise. */
    @Override
    public List<MmioRange> mmio() {
        return xapicMode() ? List.of(new MmioRange(windowBase(), WINDOW_SIZE)) : List.of();
    }

    public long windowBase() {
        return apicBase & BASE_ADDRESS_MASK;
    }

    /** True if a guest access to physical {@code address} on this CPU is a register access of this APIC. */
    public boolean decodes(long address) {
        return xapicMode() && address - windowBase() >= 0 && address - windowBase() < WINDOW_SIZE;
    }

    // ---- modes ----

    public boolean hardwareEnabled() {
        return (apicBase & BASE_ENABLE) != 0;
    }

    public boolean softwareEnabled() {
        return (svr & SVR_ENABLE) != 0;
    }

    public boolean x2apicMode() {
        return (apicBase & (BASE_ENABLE | BASE_EXTD)) == (BASE_ENABLE | BASE_EXTD);
    }

    public boolean xapicMode() {
        return (apicBase & (BASE_ENABLE | BASE_EXTD)) == BASE_ENABLE;
    }

    /** The APIC ID: 8 bits in xAPIC mode (writable there), the 32-bit x2APIC ID in x2APIC mode. */
    public int apicId() {
        return id;
    }

    public long apicBase() {
        return apicBase;
    }

    // ---- MMIO (xAPIC) ----

    /** 32-bit registers on 16-byte boundaries; narrower loads read part of one, the other 12 bytes read 0. */
    @Override
    public long mmioRead(long offset, int size) {
        int within = (int) (offset & 0xF);
        if (within >= 4 || offset < 0 || offset >= WINDOW_SIZE) {
            return 0;
        }
        long value = readRegister((int) offset & 0xFF0) & 0xFFFF_FFFFL;
        return AccessSize.extract(value, within, Math.min(size, 4 - within));
    }

    /** Only aligned stores of 4 or 8 bytes (the low 32 bits count) reach a register (SDM §11.4.1). */
    @Override
    public void mmioWrite(long offset, int size, long value) {
        if ((offset & 0xF) != 0 || size < 4 || offset < 0 || offset >= WINDOW_SIZE) {
            return;
        }
        writeXapicRegister((int) offset, (int) value);
    }

    private int readRegister(int offset) {
        if (offset >= ISR && offset < ISR + 0x80) {
            return isr[(offset - ISR) >> 4];
        }
        if (offset >= TMR && offset < TMR + 0x80) {
            return tmr[(offset - TMR) >> 4];
        }
        if (offset >= IRR && offset < IRR + 0x80) {
            return irr[(offset - IRR) >> 4];
        }
        return switch (offset) {
            case ID -> x2apicMode() ? id : id << 24;
            case VER -> VERSION;
            case TPR -> tpr;
            case APR -> arbitrationPriority();
            case PPR -> processorPriority();
            case LDR -> ldr;
            case DFR -> dfr;
            case SVR -> svr;
            case ESR -> esr;
            case ICR_LOW -> icrLow;
            case ICR_HIGH -> icrHigh;
            case LVT_TIMER -> lvt[L_TIMER];
            case LVT_THERMAL -> lvt[L_THERMAL];
            case LVT_PMC -> lvt[L_PMC];
            case LVT_LINT0 -> lvt[L_LINT0];
            case LVT_LINT1 -> lvt[L_LINT1];
            case LVT_ERROR -> lvt[L_ERROR];
            case TIMER_INITIAL_COUNT -> initialCount;
            case TIMER_CURRENT_COUNT -> currentCount();
            case TIMER_DIVIDE -> divideConfig;
            default -> 0; // EOI, RRD, CMCI (absent) and reserved offsets
        };
    }

    private void writeXapicRegister(int offset, int value) {
        switch (offset) {
            case ID -> id = value >>> 24;
            case LDR -> ldr = value & 0xFF00_0000;
            case DFR -> dfr = value | 0x0FFF_FFFF;
            case ESR -> latchErrors();
            case ICR_LOW -> {
                icrLow = value & ICR_WRITABLE;
                sendIpi(icrLow, icrHigh >>> 24, false);
            }
            case ICR_HIGH -> icrHigh = value & 0xFF00_0000;
            default -> writeCommonRegister(offset, value);
        }
    }

    /** The registers that behave alike in both modes. */
    private void writeCommonRegister(int offset, int value) {
        switch (offset) {
            case TPR -> {
                tpr = value & 0xFF;
                signalIfPending();
            }
            case EOI -> endOfInterrupt();
            case SVR -> writeSvr(value);
            case LVT_TIMER -> writeLvtTimer(value);
            case LVT_THERMAL -> writeLvt(L_THERMAL, value);
            case LVT_PMC -> writeLvt(L_PMC, value);
            case LVT_LINT0 -> writeLvt(L_LINT0, value);
            case LVT_LINT1 -> writeLvt(L_LINT1, value);
            case LVT_ERROR -> writeLvt(L_ERROR, value);
            case TIMER_INITIAL_COUNT -> writeInitialCount(value);
            case TIMER_DIVIDE -> writeDivide(value);
            default -> {
                // read-only and reserved registers ignore xAPIC writes
            }
        }
    }

    // ---- MSRs ----

    /** True for the MSRs {@link #readMsr}/{@link #writeMsr} handle. */
    public static boolean handlesMsr(int msr) {
        return msr == IA32_APIC_BASE || msr == IA32_TSC_DEADLINE || msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_LAST;
    }

    /** RDMSR; empty means #GP(0). */
    public OptionalLong readMsr(int msr) {
        if (msr == IA32_APIC_BASE) {
            return OptionalLong.of(apicBase);
        }
        if (msr == IA32_TSC_DEADLINE) {
            return OptionalLong.of(timerMode() == TIMER_TSC_DEADLINE ? tscDeadline : 0);
        }
        if (msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_LAST || !x2apicMode()) {
            return OptionalLong.empty();
        }
        int offset = (msr - X2APIC_MSR_BASE) << 4;
        return switch (offset) {
            case ICR_LOW -> OptionalLong.of((long) icrHigh << 32 | icrLow & 0xFFFF_FFFFL);
            // Write-only, absent in x2APIC mode, or absent here (CMCI, ICR high half).
            case EOI, SELF_IPI, APR, RRD, DFR, ICR_HIGH, LVT_CMCI -> OptionalLong.empty();
            default -> x2apicRegisterExists(offset)
                    ? OptionalLong.of(readRegister(offset) & 0xFFFF_FFFFL) : OptionalLong.empty();
        };
    }

    /** WRMSR; false means #GP(0). */
    public boolean writeMsr(int msr, long value) {
        if (msr == IA32_APIC_BASE) {
            return writeApicBase(value);
        }
        if (msr == IA32_TSC_DEADLINE) {
            writeTscDeadline(value);
            return true;
        }
        if (msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_LAST || !x2apicMode()) {
            return false;
        }
        int offset = (msr - X2APIC_MSR_BASE) << 4;
        if (offset == ICR_LOW) {
            icrLow = (int) value & ICR_WRITABLE;
            icrHigh = (int) (value >>> 32);
            sendIpi(icrLow, icrHigh, true);
            return true;
        }
        if (value >>> 32 != 0) {
            return false; // reserved bits 32-63 of every other x2APIC register
        }
        int v = (int) value;
        switch (offset) {
            case TPR -> {
                if ((v & ~0xFF) != 0) {
                    return false;
                }
            }
            case EOI, ESR -> {
                if (v != 0) {
                    return false;
                }
            }
            case SVR -> {
                if ((v & ~SVR_WRITABLE) != 0) {
                    return false;
                }
            }
            case TIMER_DIVIDE -> {
                if ((v & ~0xB) != 0) {
                    return false;
                }
            }
            case SELF_IPI -> {
                if ((v & ~0xFF) != 0) {
                    return false;
                }
                selfIpi(v);
                return true;
            }
            case LVT_TIMER, LVT_THERMAL, LVT_PMC, LVT_LINT0, LVT_LINT1, LVT_ERROR, TIMER_INITIAL_COUNT -> {
            }
            default -> {
                return false; // read-only (ID, version, LDR, PPR, ISR/TMR/IRR, current count) or absent
            }
        }
        if (offset == ESR) {
            latchErrors();
        } else {
            writeCommonRegister(offset, v);
        }
        return true;
    }

    private static boolean x2apicRegisterExists(int offset) {
        return switch (offset) {
            case ID, VER, TPR, PPR, LDR, SVR, ESR, LVT_TIMER, LVT_THERMAL, LVT_PMC, LVT_LINT0, LVT_LINT1, LVT_ERROR,
                    TIMER_INITIAL_COUNT, TIMER_CURRENT_COUNT, TIMER_DIVIDE -> true;
            default -> offset >= ISR && offset < IRR + 0x80;
        };
    }

    /**
     * IA32_APIC_BASE (SDM §11.12.5, figure 11-27): reserved bits, the invalid state
     * (EXTD without EN), x2APIC → xAPIC and disabled → x2APIC are #GP; BSP is read-only.
     * Disabling resets the APIC to its power-up state but for the base.
     */
    private boolean writeApicBase(long value) {
        long reserved = ~(BASE_ADDRESS_MASK | BASE_ENABLE | BASE_EXTD | BASE_BSP);
        if ((value & reserved) != 0) {
            return false;
        }
        boolean en = (value & BASE_ENABLE) != 0;
        boolean extd = (value & BASE_EXTD) != 0;
        if (extd && (!en || !x2apicSupported)) {
            return false;
        }
        if (x2apicMode() && en && !extd) {
            return false;
        }
        if (!hardwareEnabled() && en && extd) {
            return false;
        }
        boolean enteringX2apic = extd && !x2apicMode();
        boolean disabling = !en && hardwareEnabled();
        apicBase = value & (BASE_ADDRESS_MASK | BASE_ENABLE | BASE_EXTD) | apicBase & BASE_BSP;
        if (disabling) {
            long base = apicBase;
            powerOn();
            apicBase = base;
        } else if (enteringX2apic) {
            id = initialId;
            ldr = (initialId >>> 4) << 16 | 1 << (initialId & 0xF);
        }
        return true;
    }

    // ---- priorities, IRR/ISR ----

    /** PPR (SDM §11.8.3.1): TPR if its class is at least that of the highest in-service vector, else that class. */
    public int processorPriority() {
        int isrv = Math.max(highest(isr), 0);
        return (tpr >>> 4) >= (isrv >>> 4) ? tpr : isrv & 0xF0;
    }

    /** APR (SDM §11.8.3.1, used for lowest-priority arbitration). */
    public int arbitrationPriority() {
        int isrv = Math.max(highest(isr), 0);
        int irrv = Math.max(highest(irr), 0);
        if ((tpr >>> 4) >= (irrv >>> 4) && (tpr >>> 4) > (isrv >>> 4)) {
            return tpr;
        }
        return Math.max(tpr & 0xF0, Math.max(isrv & 0xF0, irrv & 0xF0));
    }

    /**
     * The vector the CPU would take now: the highest in IRR whose priority class is
     * above PPR's (SDM §11.8.3), or -1. -1 too while the APIC is disabled.
     */
    public int nextDeliverable() {
        if (!hardwareEnabled() || !softwareEnabled()) {
            return -1;
        }
        int v = highest(irr);
        return v >= 0 && (v >>> 4) > (processorPriority() >>> 4) ? v : -1;
    }

    /** The CPU takes {@code vector}: it moves from IRR to ISR. */
    public void acknowledge(int vector) {
        if (!test(irr, vector)) {
            throw new IllegalStateException(String.format("vector 0x%x is not requested", vector));
        }
        clear(irr, vector);
        set(isr, vector);
    }

    public boolean irrSet(int vector) {
        return test(irr, vector);
    }

    public boolean isrSet(int vector) {
        return test(isr, vector);
    }

    public boolean tmrSet(int vector) {
        return test(tmr, vector);
    }

    /** EOI: retire the highest in-service vector; a level-triggered one is broadcast to the I/O APICs. */
    private void endOfInterrupt() {
        int v = highest(isr);
        if (v < 0) {
            return;
        }
        clear(isr, v);
        if (test(tmr, v)) {
            bus.broadcastEoi(v);
        }
        signalIfPending();
    }

    // ---- incoming messages ----

    /** Takes a message the bus routed here (destination already matched). */
    public void accept(InterruptMessage message) {
        if (!hardwareEnabled()) {
            return;
        }
        switch (message.mode()) {
            case FIXED, LOWEST_PRIORITY -> acceptFixed(message.vector(), message.levelTriggered());
            case NMI -> {
                nmiPending = true;
                cpus.interruptPending(id);
            }
            case SMI -> {
                smiPending = true;
                cpus.interruptPending(id);
            }
            case INIT -> {
                initReset();
                cpus.init(id);
            }
            case STARTUP -> cpus.startup(id, message.vector());
            case EXTINT -> {
                extIntMessage = true;
                cpus.interruptPending(id);
            }
        }
    }

    private void acceptFixed(int vector, boolean levelTriggered) {
        if (vector < 16) {
            signalError(ESR_RECEIVE_ILLEGAL_VECTOR);
            return;
        }
        set(irr, vector);
        if (levelTriggered) {
            set(tmr, vector);
        } else {
            clear(tmr, vector);
        }
        signalIfPending();
    }

    /** True if {@code message}'s destination selects this APIC (shorthands are the bus's business). */
    public boolean matches(InterruptMessage message) {
        int dest = message.destination();
        if (!message.logical()) {
            if (message.broadcast()) {
                return true;
            }
            return x2apicMode() && message.x2apicFormat() ? dest == id : (dest & 0xFF) == (id & 0xFF);
        }
        if (x2apicMode()) {
            if (message.broadcast()) {
                return true;
            }
            if (!message.x2apicFormat()) {
                return (dest & ldr & 0xFF) != 0 && (ldr >>> 16) == 0;
            }
            return dest >>> 16 == ldr >>> 16 && (dest & ldr & 0xFFFF) != 0;
        }
        int logicalId = ldr >>> 24;
        if (dfr == DFR_FLAT) {
            return (dest & logicalId) != 0;
        }
        return (dest & 0xFF) == 0xFF || (dest >>> 4 & 0xF) == logicalId >>> 4 && (dest & logicalId & 0xF) != 0;
    }

    // ---- outgoing IPIs ----

    private void sendIpi(int low, int destination, boolean x2apic) {
        DeliveryMode mode = DeliveryMode.of(low >>> 8);
        if (mode == null) {
            return;
        }
        int vector = low & 0xFF;
        boolean assertLevel = (low & ICR_LEVEL_ASSERT) != 0;
        boolean triggerLevel = (low & ICR_TRIGGER_LEVEL) != 0;
        if (mode == DeliveryMode.INIT && !assertLevel) {
            return; // INIT level de-assert: only synchronises arbitration IDs (SDM §11.6.1)
        }
        if ((mode == DeliveryMode.FIXED || mode == DeliveryMode.LOWEST_PRIORITY) && vector < 16) {
            signalError(ESR_SEND_ILLEGAL_VECTOR);
            return;
        }
        InterruptMessage.Shorthand shorthand = InterruptMessage.Shorthand.of(low >>> ICR_SHORTHAND_SHIFT);
        InterruptMessage message = new InterruptMessage(vector, mode, (low & ICR_DEST_LOGICAL) != 0,
                x2apic ? destination : destination & 0xFF, x2apic, shorthand,
                triggerLevel && mode != DeliveryMode.STARTUP, id);
        if (shorthand == InterruptMessage.Shorthand.SELF) {
            accept(message);
        } else {
            bus.deliver(message);
        }
    }

    private void selfIpi(int vector) {
        sendIpi(vector | InterruptMessage.Shorthand.SELF.ordinal() << ICR_SHORTHAND_SHIFT, id, true);
    }

    // ---- CPU-side pending events ----

    /** An NMI is pending (from LINT1, the ICR or an I/O APIC); taking it clears it. */
    public boolean takeNmi() {
        boolean pending = nmiPending;
        nmiPending = false;
        return pending;
    }

    public boolean nmiPending() {
        return nmiPending;
    }

    /** An SMI arrived (only recorded: limu has no SMM); taking it clears it. */
    public boolean takeSmi() {
        boolean pending = smiPending;
        smiPending = false;
        return pending;
    }

    /**
     * The CPU should run an INTA cycle on the 8259 for its vector: LINT0 is asserted
     * and programmed ExtINT (or the APIC is disabled, so LINT0 is the INTR pin), or
     * an ExtINT message arrived. Maskable, like any external interrupt, by RFLAGS.IF.
     */
    public boolean extIntPending() {
        if (!hardwareEnabled()) {
            return lint0Level;
        }
        if (extIntMessage) {
            return true;
        }
        int lint = lvt[L_LINT0];
        return lint0Level && (lint & LVT_MASKED) == 0 && lvtMode(lint) == DeliveryMode.EXTINT;
    }

    /** The CPU ran the INTA cycle for an ExtINT. */
    public void acknowledgeExtInt() {
        extIntMessage = false;
    }

    /** Input pin LINT0 (the 8259's INTR on a PC). */
    public InterruptLine lint0() {
        return lint0;
    }

    /** Input pin LINT1 (NMI on a PC, as the MADT's LAPIC NMI entry says). */
    public InterruptLine lint1() {
        return lint1;
    }

    private void setLint(int which, boolean level) {
        boolean was = which == L_LINT0 ? lint0Level : lint1Level;
        if (which == L_LINT0) {
            lint0Level = level;
        } else {
            lint1Level = level;
        }
        if (!hardwareEnabled()) {
            // Virtual-wire through a disabled APIC: LINT0 is INTR, LINT1 is NMI.
            if (which == L_LINT1 && level && !was) {
                nmiPending = true;
            }
            if (level) {
                cpus.interruptPending(id);
            }
            return;
        }
        int entry = lvt[which];
        if (!level || (entry & LVT_MASKED) != 0) {
            return;
        }
        DeliveryMode mode = lvtMode(entry);
        if (mode == DeliveryMode.EXTINT) {
            cpus.interruptPending(id);
        } else if (!was) {
            fireLvt(entry);
        }
    }

    private void fireLvt(int entry) {
        DeliveryMode mode = lvtMode(entry);
        if (mode == DeliveryMode.NMI) {
            nmiPending = true;
            cpus.interruptPending(id);
        } else if (mode == DeliveryMode.SMI) {
            smiPending = true;
        } else if (mode == DeliveryMode.INIT) {
            initReset();
            cpus.init(id);
        } else if (mode == DeliveryMode.FIXED) {
            acceptFixed(entry & LVT_VECTOR, false);
        }
    }

    private static DeliveryMode lvtMode(int entry) {
        DeliveryMode mode = DeliveryMode.of(entry >>> LVT_DELIVERY_MODE_SHIFT);
        return mode == null ? DeliveryMode.FIXED : mode;
    }

    // ---- errors ----

    private void signalError(int bit) {
        esrPending |= bit;
        int entry = lvt[L_ERROR];
        if ((entry & LVT_MASKED) == 0 && (entry & LVT_VECTOR) >= 16) {
            acceptFixed(entry & LVT_VECTOR, false);
        }
    }

    /** A write to ESR makes the errors collected since the last one readable (SDM §11.5.3). */
    private void latchErrors() {
        esr = esrPending;
        esrPending = 0;
    }

    // ---- SVR and LVTs ----

    private void writeSvr(int value) {
        svr = value & SVR_WRITABLE;
        if (!softwareEnabled()) {
            for (int i = 0; i < LVT_COUNT; i++) {
                lvt[i] |= LVT_MASKED;
            }
        }
        signalIfPending();
    }

    private void writeLvt(int which, int value) {
        int v = value & LVT_WRITABLE[which];
        if (!softwareEnabled()) {
            v |= LVT_MASKED;
        }
        lvt[which] = v | lvt[which] & LVT_REMOTE_IRR & LVT_WRITABLE[which];
        if (which == L_LINT0 && extIntPending()) {
            cpus.interruptPending(id);
        }
    }

    private int timerMode() {
        return lvt[L_TIMER] >>> LVT_TIMER_MODE_SHIFT & 3;
    }

    private void writeLvtTimer(int value) {
        int oldMode = timerMode();
        writeLvt(L_TIMER, value);
        int newMode = timerMode();
        if ((oldMode == TIMER_TSC_DEADLINE) != (newMode == TIMER_TSC_DEADLINE)) {
            // SDM §11.5.4.1: switching to or from TSC-deadline mode disarms the timer.
            stopTimer();
            initialCount = 0;
            tscDeadline = 0;
        }
    }

    // ---- timer ----

    /** The timer's divisor from the divide configuration register (SDM figure 11-10): 1-128. */
    public int divisor() {
        int code = (divideConfig & 3) | (divideConfig & 8) >>> 1;
        return 1 << ((code + 1) & 7);
    }

    private TickRate timerRate() {
        return new TickRate(busHz / divisor());
    }

    private void writeInitialCount(int value) {
        if (timerMode() == TIMER_TSC_DEADLINE) {
            return;
        }
        initialCount = value;
        if (value == 0) {
            stopTimer();
            return;
        }
        timerRunning = true;
        timerStart = time.nanos();
        timerStartCount = value & 0xFFFF_FFFFL;
        timerExpiryTicks = timerStartCount;
        armTimer();
    }

    private void writeDivide(int value) {
        if (timerRunning && timerMode() != TIMER_TSC_DEADLINE) {
            long count = currentCountNow();
            divideConfig = value & 0xB;
            timerStart = time.nanos();
            timerStartCount = count;
            timerExpiryTicks = count;
            armTimer();
        } else {
            divideConfig = value & 0xB;
        }
    }

    private int currentCount() {
        return timerMode() == TIMER_TSC_DEADLINE ? 0 : (int) currentCountNow();
    }

    private long currentCountNow() {
        if (!timerRunning) {
            return 0;
        }
        long elapsed = timerRate().ticks(time.nanos() - timerStart);
        long period = initialCount & 0xFFFF_FFFFL;
        if (elapsed < timerStartCount) {
            return timerStartCount - elapsed;
        }
        if (timerMode() == TIMER_PERIODIC && period != 0) {
            return period - (elapsed - timerStartCount) % period;
        }
        return 0;
    }

    private void armTimer() {
        timer.arm(saturatingAdd(timerStart, timerRate().nanos(timerExpiryTicks)));
    }

    private void stopTimer() {
        timerRunning = false;
        timer.cancel();
    }

    private void writeTscDeadline(long value) {
        if (timerMode() != TIMER_TSC_DEADLINE) {
            return; // SDM §11.5.4.1: ignored in the other modes
        }
        tscDeadline = value;
        if (value == 0) {
            timer.cancel();
        } else {
            timer.arm(tsc.nanos(value));
        }
    }

    private void timerExpired() {
        if (timerMode() == TIMER_TSC_DEADLINE) {
            tscDeadline = 0;
            deliverTimerInterrupt();
            return;
        }
        long period = initialCount & 0xFFFF_FFFFL;
        if (timerMode() != TIMER_PERIODIC || period == 0) {
            timerRunning = false;
            deliverTimerInterrupt();
            return;
        }
        long now = time.nanos();
        TickRate rate = timerRate();
        timerExpiryTicks += period;
        long next = saturatingAdd(timerStart, rate.nanos(timerExpiryTicks));
        if (next <= saturatingAdd(now, DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS)) {
            // The machine looked late, or the period is shorter than the shortest interval: the expiries up
            // to DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS from now merge into this one, as in a busy IRR.
            long soonest = rate.ticks(saturatingAdd(now, DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS) - timerStart);
            long periods = Math.max(1, (soonest - timerStartCount) / period + 1);
            timerExpiryTicks = timerStartCount + periods * period;
            if (timerExpiryTicks < 0) {
                timerExpiryTicks = Long.MAX_VALUE; // centuries away
            }
        }
        armTimer();
        deliverTimerInterrupt();
    }

    private void deliverTimerInterrupt() {
        int entry = lvt[L_TIMER];
        if ((entry & LVT_MASKED) == 0) {
            acceptFixed(entry & LVT_VECTOR, false);
        }
    }

    // ---- reset ----

    /** Power-on state (SDM §11.4.7.1): base 0xFEE00000, enabled, xAPIC; LVTs masked; SVR 0xFF. */
    @Override
    public void reset() {
        powerOn();
    }

    private void powerOn() {
        apicBase = DEFAULT_BASE | BASE_ENABLE | (bsp ? BASE_BSP : 0);
        id = initialId;
        initReset();
        nmiPending = false;
        smiPending = false;
        extIntMessage = false;
    }

    /** What INIT does (SDM §11.4.7.3): power-on values except the ID and IA32_APIC_BASE. */
    private void initReset() {
        tpr = 0;
        ldr = x2apicMode() ? ldr : 0;
        dfr = DFR_FLAT;
        svr = 0xFF;
        esr = 0;
        esrPending = 0;
        java.util.Arrays.fill(irr, 0);
        java.util.Arrays.fill(isr, 0);
        java.util.Arrays.fill(tmr, 0);
        java.util.Arrays.fill(lvt, LVT_MASKED);
        icrLow = 0;
        icrHigh = 0;
        initialCount = 0;
        divideConfig = 0;
        tscDeadline = 0;
        stopTimer();
    }

    /**
     * The state Limine (base revision 3-5) leaves a CPU's APIC in: software enabled
     * with spurious vector 0xFF (SVR 0x1FF), TPR 0, every LVT masked except LINT1,
     * which delivers NMI as QEMU's MADT LAPIC NMI entry says.
     */
    public void initialiseLikeLimine() {
        writeCommonRegister(TPR, 0);
        writeSvr(0x1FF);
        for (int i = 0; i < LVT_COUNT; i++) {
            lvt[i] = LVT_MASKED;
        }
        lvt[L_LINT1] = DeliveryMode.NMI.code() << LVT_DELIVERY_MODE_SHIFT;
    }

    /**
     * The state firmware leaves before Limine base revision 5 (which prescribes
     * {@link #initialiseLikeLimine}): real firmware software-enables the APIC. Observed
     * under OVMF: SVR 0x10F, LINT0 ExtINT, LINT1 NMI, the timer masked. Kernels rely on
     * it: the x2apic crate unmasks its timer before it sets SVR bit 8, which a
     * software-disabled APIC ignores (SDM §11.4.7.2).
     */
    public void initialiseLikeFirmware() {
        mmioWrite(SVR, 4, SVR_ENABLE | 0x0F);
        mmioWrite(LVT_LINT0, 4, DeliveryMode.EXTINT.code() << LVT_DELIVERY_MODE_SHIFT);
        mmioWrite(LVT_LINT1, 4, DeliveryMode.NMI.code() << LVT_DELIVERY_MODE_SHIFT);
        mmioWrite(LVT_TIMER, 4, LVT_MASKED);
    }

    /**
     * The registers a person debugging interrupts looks at first, several lines, as the
     * guest reads them (through the x2APIC MSRs in x2APIC mode, the window otherwise).
     */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("local APIC: id %d, %s, %s, IA32_APIC_BASE %#x%n", apicId(),
                x2apicMode() ? "x2APIC" : xapicMode() ? "xAPIC" : "disabled",
                softwareEnabled() ? "software-enabled" : "software-disabled", apicBase()));
        b.append(String.format("  SVR %#x TPR %#x PPR %#x ESR %#x%n", guestRead(SVR), guestRead(TPR),
                processorPriority(), guestRead(ESR)));
        b.append(String.format("  LVT timer %#x LINT0 %#x LINT1 %#x error %#x%n", guestRead(LVT_TIMER),
                guestRead(LVT_LINT0), guestRead(LVT_LINT1), guestRead(LVT_ERROR)));
        b.append(String.format("  timer initial %d current %d divide %#x%n", guestRead(TIMER_INITIAL_COUNT) & 0xFFFF_FFFFL,
                guestRead(TIMER_CURRENT_COUNT) & 0xFFFF_FFFFL, guestRead(TIMER_DIVIDE)));
        b.append("  IRR ").append(java.util.stream.IntStream.range(16, 256).filter(this::irrSet).boxed().toList())
                .append(" ISR ").append(java.util.stream.IntStream.range(16, 256).filter(this::isrSet).boxed().toList())
                .append('\n');
        return b.toString();
    }

    private int guestRead(int offset) {
        return x2apicMode() ? (int) readMsr(X2APIC_MSR_BASE + (offset >> 4)).orElse(0) : (int) mmioRead(offset, 4);
    }

    // ---- snapshots ----

    @Override
    public State state() {
        return new State(id, apicBase, tpr, ldr, dfr, svr, esr, esrPending, boxed(irr), boxed(isr), boxed(tmr),
                boxed(lvt), icrLow, icrHigh, initialCount, divideConfig, timerRunning, timerStart, timerStartCount,
                timerExpiryTicks, tscDeadline, nmiPending, smiPending, extIntMessage, lint0Level, lint1Level);
    }

    @Override
    public void restore(State s) {
        id = s.id();
        apicBase = s.apicBase();
        tpr = s.tpr();
        ldr = s.ldr();
        dfr = s.dfr();
        svr = s.svr();
        esr = s.esr();
        esrPending = s.esrPending();
        for (int i = 0; i < 8; i++) {
            irr[i] = s.irr().get(i);
            isr[i] = s.isr().get(i);
            tmr[i] = s.tmr().get(i);
        }
        for (int i = 0; i < LVT_COUNT; i++) {
            lvt[i] = s.lvt().get(i);
        }
        icrLow = s.icrLow();
        icrHigh = s.icrHigh();
        initialCount = s.initialCount();
        divideConfig = s.divideConfig();
        timerRunning = s.timerRunning();
        timerStart = s.timerStart();
        timerStartCount = s.timerStartCount();
        timerExpiryTicks = s.timerExpiryTicks();
        tscDeadline = s.tscDeadline();
        nmiPending = s.nmiPending();
        smiPending = s.smiPending();
        extIntMessage = s.extIntMessage();
        lint0Level = s.lint0Level();
        lint1Level = s.lint1Level();
        timer.cancel();
        if (timerMode() == TIMER_TSC_DEADLINE) {
            if (tscDeadline != 0) {
                timer.arm(tsc.nanos(tscDeadline));
            }
        } else if (timerRunning) {
            armTimer();
        }
    }

    // ---- helpers ----

    private void signalIfPending() {
        if (nextDeliverable() >= 0 || nmiPending || extIntPending()) {
            cpus.interruptPending(id);
        }
    }

    private static int highest(int[] bits) {
        for (int i = 7; i >= 0; i--) {
            if (bits[i] != 0) {
                return i * 32 + 31 - Integer.numberOfLeadingZeros(bits[i]);
            }
        }
        return -1;
    }

    private static boolean test(int[] bits, int v) {
        return (bits[v >>> 5] & 1 << (v & 31)) != 0;
    }

    private static void set(int[] bits, int v) {
        bits[v >>> 5] |= 1 << (v & 31);
    }

    private static void clear(int[] bits, int v) {
        bits[v >>> 5] &= ~(1 << (v & 31));
    }

    private static List<Integer> boxed(int[] a) {
        Integer[] b = new Integer[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return List.of(b);
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
