// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.List;
import java.util.function.IntFunction;

/**
 * A High Precision Event Timer block as QEMU's {@code -M pc} has it (IA-PC HPET
 * specification 1.0a): 100 MHz (10 ns period), 64-bit main counter, three
 * timers that can all be periodic and 64-bit, legacy-replacement capable,
 * vendor 0x8086, at 0xFED00000.
 * <p>
 * The main counter is a function of virtual time: while ENABLE_CNF is set it
 * advances one tick every 10 virtual nanoseconds; while clear it holds its value
 * and may be written (writes while it runs are ignored: the spec leaves them
 * undefined). Comparator matches are computed, not polled: each timer arms a
 * {@link DeviceTimer} for the instant the counter reaches its comparator.
 * <p>
 * Interrupt routing: with LEG_RT_CNF, timer 0 drives {@code legacyIrq0} (IRQ0:
 * 8259 input 0 and I/O APIC pin 2) and timer 1 {@code legacyIrq8} (IRQ8); otherwise
 * each timer drives the I/O APIC input its Tn_INT_ROUTE_CNF names. Every timer
 * may be routed to GSI 2 or GSIs 20-23 ({@link #ROUTE_CAPABILITY}): QEMU's {@code pc}
 * offers only GSI 2, which a kernel that routes timers away from the PIT's pin
 * cannot use; 20-23 are free I/O APIC pins on this machine. FSB (MSI) delivery is
 * not offered.
 * <p>
 * Edge-triggered timers pulse their line at each match. Level-triggered timers set
 * their bit in the General Interrupt Status register at each match (whether or not
 * their interrupt is enabled, spec §2.3.8) and hold their line asserted while that
 * bit is set and interrupts are enabled; the guest clears it by writing 1.
 */
public final class Hpet implements Device, Snapshottable<Hpet.State> {
    public static final long DEFAULT_BASE = 0xFED0_0000L;
    /** Bytes of registers (QEMU's HPET_LEN); the 4 KiB window beyond reads 0. */
    public static final long REGISTERS_SIZE = 0x400;
    public static final long WINDOW_SIZE = 0x1000;
    public static final int TIMERS = 3;
    /** Main counter tick, in femtoseconds (capabilities bits 32-63) and nanoseconds. */
    public static final long PERIOD_FS = 10_000_000L;
    static final long PERIOD_NS = PERIOD_FS / 1_000_000L;
    public static final int VENDOR_ID = 0x8086;
    public static final int REVISION = 1;
    /** I/O APIC inputs each timer can be routed to: GSI 2 and 20-23. */
    public static final int ROUTE_CAPABILITY = 1 << 2 | 0xF << 20;

    // Registers (spec table 2-1).
    public static final int CAPABILITIES = 0x000;
    public static final int CONFIGURATION = 0x010;
    public static final int INTERRUPT_STATUS = 0x020;
    public static final int MAIN_COUNTER = 0x0F0;
    public static final int TIMER_BASE = 0x100;
    public static final int TIMER_STRIDE = 0x20;
    public static final int TIMER_CONFIG = 0x00;
    public static final int TIMER_COMPARATOR = 0x08;
    public static final int TIMER_FSB_ROUTE = 0x10;

    // General capabilities.
    public static final long CAP_COUNT_SIZE_64 = 1L << 13;
    public static final long CAP_LEGACY_ROUTE = 1L << 15;
    public static final long CAPABILITIES_VALUE = PERIOD_FS << 32 | (long) VENDOR_ID << 16 | CAP_LEGACY_ROUTE
            | CAP_COUNT_SIZE_64 | (TIMERS - 1) << 8 | REVISION;

    // General configuration.
    public static final long CFG_ENABLE = 1;
    public static final long CFG_LEGACY = 2;

    // Timer configuration and capabilities (spec §2.3.8).
    public static final long TN_LEVEL = 1L << 1;
    public static final long TN_INT_ENABLE = 1L << 2;
    public static final long TN_PERIODIC = 1L << 3;
    public static final long TN_PERIODIC_CAP = 1L << 4;
    public static final long TN_SIZE_64_CAP = 1L << 5;
    public static final long TN_VAL_SET = 1L << 6;
    public static final long TN_32BIT = 1L << 8;
    public static final int TN_ROUTE_SHIFT = 9;
    public static final long TN_ROUTE = 0x1FL << TN_ROUTE_SHIFT;
    public static final long TN_FSB_ENABLE = 1L << 14;
    public static final long TN_FSB_CAP = 1L << 15;
    static final long TN_WRITABLE = TN_LEVEL | TN_INT_ENABLE | TN_PERIODIC | TN_VAL_SET | TN_32BIT | TN_ROUTE;
    static final long TN_CAPABILITIES = (long) ROUTE_CAPABILITY << 32 | TN_SIZE_64_CAP | TN_PERIODIC_CAP;

    /**
     * One comparator's state (spec §2.3.8-2.3.10).
     *
     * @param config     Tn_CONFIG (capability bits included)
     * @param comparator the next match value
     * @param period     the last value written to the comparator: added at each match in periodic mode
     * @param fsbRoute   Tn_FSB_ROUTE, stored only
     */
    public record TimerState(long config, long comparator, long period, long fsbRoute) {
    }

    /**
     * @param config          general configuration
     * @param interruptStatus general interrupt status
     * @param counter         the main counter at {@code counterSince}
     * @param counterSince    virtual time the counter last stopped, started or was written
     */
    public record State(long config, long interruptStatus, long counter, long counterSince, List<TimerState> timers) {
        public State {
            timers = List.copyOf(timers);
            if (timers.size() != TIMERS) {
                throw new IllegalArgumentException("the HPET has " + TIMERS + " timers");
            }
        }
    }

    /** One comparator and its interrupt routing (QEMU's {@code HPETTimer}). */
    private final class Timer {
        final int index;
        final DeviceTimer expiry;
        long config;
        long comparator;
        long period;
        long fsbRoute;
        InterruptLine driven;
        boolean lineLevel;

        Timer(int index, TimerScheduler timers) {
            this.index = index;
            this.expiry = timers.newTimer("hpet.timer" + index, this::matched);
        }

        void reset() {
            config = TN_CAPABILITIES;
            comparator = -1L;
            period = 0;
            fsbRoute = 0;
            expiry.cancel();
        }

        boolean periodic() {
            return (config & TN_PERIODIC) != 0;
        }

        boolean narrow() {
            return (config & TN_32BIT) != 0;
        }

        boolean level() {
            return (config & TN_LEVEL) != 0;
        }

        long mask() {
            return narrow() ? 0xFFFF_FFFFL : -1L;
        }

        /** Arms the expiry for the next time the counter reaches the comparator. */
        void schedule() {
            if (!enabled()) {
                expiry.cancel();
                return;
            }
            long now = time.nanos();
            long elapsed = counterAt(now) - counter; // ticks since the counter's anchor
            long ticks = (comparator - counterAt(now)) & mask();
            if (ticks == 0) {
                ticks = mask() == -1L ? -1L : 1L << 32; // just matched: the next match is a wrap away
            }
            if (Long.compareUnsigned(ticks, Long.MAX_VALUE / PERIOD_NS / 2) > 0) {
                expiry.cancel(); // centuries ahead
                return;
            }
            // The instant the counter reaches the comparator, on the counter's own tick grid.
            expiry.arm(saturatingAdd(counterSince, (elapsed + ticks) * PERIOD_NS));
        }

        void matched() {
            long now = time.nanos();
            if (periodic() && (period & mask()) != 0) {
                long p = period & mask();
                // The next match is the first one more than MIN_PERIODIC_INTERVAL_NANOS away: matches the
                // machine was late for, and those a period shorter than that would bring, merge into this one
                // (see DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS).
                long soonest = counterAt(now) + DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS / PERIOD_NS;
                long behind = (soonest - comparator) & mask();
                comparator = (comparator + p * (behind / p + 1)) & mask();
            }
            // One-shot: the next match is after the counter wraps (2^32 ticks in 32-bit mode, never in 64).
            schedule();
            raise();
        }

        void raise() {
            if (level()) {
                interruptStatus |= 1L << index;
            }
            if ((config & TN_INT_ENABLE) == 0 || !enabled()) {
                return;
            }
            if (level()) {
                updateLine();
            } else if (driven != null) {
                InterruptLines.pulse(driven);
            }
        }

        /** Drives the routed line to the level this timer's status implies (level mode) or low. */
        void updateLine() {
            InterruptLine target = route();
            boolean high = level() && (config & TN_INT_ENABLE) != 0 && enabled()
                    && (interruptStatus & 1L << index) != 0;
            if (target != driven && driven != null && lineLevel) {
                driven.set(false);
                lineLevel = false;
            }
            driven = target;
            if (driven != null && high != lineLevel) {
                driven.set(high);
                lineLevel = high;
            }
        }

        InterruptLine route() {
            if ((generalConfig & CFG_LEGACY) != 0 && index < 2) {
                return index == 0 ? legacyIrq0 : legacyIrq8;
            }
            return ioApicInput.apply((int) ((config & TN_ROUTE) >>> TN_ROUTE_SHIFT));
        }

        TimerState state() {
            return new TimerState(config, comparator, period, fsbRoute);
        }
    }

    private final long base;
    private final VirtualTime time;
    private final IntFunction<InterruptLine> ioApicInput;
    private final InterruptLine legacyIrq0;
    private final InterruptLine legacyIrq8;
    private final Timer[] timers = new Timer[TIMERS];
    private final java.util.List<LegacyGate> gates = new java.util.ArrayList<>();

    private long generalConfig;
    private long interruptStatus;
    private long counter;
    private long counterSince;

    /**
     * @param ioApicInput the I/O APIC input for a GSI (the machine answers
     *                    {@link InterruptLine#DISCONNECTED} for GSIs it does not wire)
     * @param legacyIrq0  ISA IRQ0 (8259 input 0 and I/O APIC pin 2), for legacy replacement
     * @param legacyIrq8  ISA IRQ8 (8259 input 8 and I/O APIC pin 8), for legacy replacement
     */
    public Hpet(long base, VirtualTime time, TimerScheduler scheduler, IntFunction<InterruptLine> ioApicInput,
                InterruptLine legacyIrq0, InterruptLine legacyIrq8) {
        if (time == null || scheduler == null || ioApicInput == null || legacyIrq0 == null || legacyIrq8 == null) {
            throw new NullPointerException("HPET dependencies");
        }
        new MmioRange(base, WINDOW_SIZE);
        this.base = base;
        this.time = time;
        this.ioApicInput = ioApicInput;
        this.legacyIrq0 = legacyIrq0;
        this.legacyIrq8 = legacyIrq8;
        for (int i = 0; i < TIMERS; i++) {
            timers[i] = new Timer(i, scheduler);
        }
        resetRegisters();
    }

    @Override
    public String name() {
        return "hpet";
    }

    @Override
    public List<MmioRange> mmio() {
        return List.of(new MmioRange(base, WINDOW_SIZE));
    }

    /**
     * {@code line} as the source of ISA IRQ {@code irq} (0 or 8) that legacy replacement
     * disconnects: the HPET spec (§2.3.4, LEG_RT_CNF) says the 8254 (IRQ0) and the RTC
     * (IRQ8) cause no interrupts while it is set. Give the PIT and the RTC the returned lines.
     */
    public InterruptLine legacyGate(int irq, InterruptLine line) {
        if (irq != 0 && irq != 8) {
            throw new IllegalArgumentException("legacy replacement takes over IRQ 0 and 8, not " + irq);
        }
        LegacyGate gate = new LegacyGate(line);
        gates.add(gate);
        return level -> {
            gate.source = level;
            gate.apply();
        };
    }

    private final class LegacyGate {
        final InterruptLine target;
        boolean source;
        boolean driven;

        LegacyGate(InterruptLine target) {
            this.target = target;
        }

        void apply() {
            boolean want = source && (generalConfig & CFG_LEGACY) == 0;
            if (want != driven) {
                driven = want;
                target.set(want);
            }
        }
    }

    public boolean legacyReplacement() {
        return (generalConfig & CFG_LEGACY) != 0;
    }

    public boolean enabled() {
        return (generalConfig & CFG_ENABLE) != 0;
    }

    /** The main counter at virtual time {@code now}. */
    long counterAt(long now) {
        return enabled() ? counter + (now - counterSince) / PERIOD_NS : counter;
    }

    /** The main counter now. */
    public long counter() {
        return counterAt(time.nanos());
    }

    /** Registers are 64 bits; 32-bit (and narrower) accesses reach part of one. */
    @Override
    public long mmioRead(long offset, int size) {
        if (offset < 0 || offset >= REGISTERS_SIZE) {
            return 0;
        }
        int within = (int) (offset & 7);
        return AccessSize.extract(readRegister((int) offset & ~7), within, Math.min(size, 8 - within));
    }

    @Override
    public void mmioWrite(long offset, int size, long value) {
        if (offset < 0 || offset >= REGISTERS_SIZE) {
            return;
        }
        int within = (int) (offset & 7);
        int width = Math.min(size, 8 - within);
        long mask = AccessSize.mmioMask(width) << (8 * within);
        writeRegister((int) offset & ~7, (value << (8 * within)) & mask, mask);
    }

    private long readRegister(int register) {
        switch (register) {
            case CAPABILITIES:
                return CAPABILITIES_VALUE;
            case CONFIGURATION:
                return generalConfig;
            case INTERRUPT_STATUS:
                return interruptStatus;
            case MAIN_COUNTER:
                return counter();
            default:
                break;
        }
        Timer t = timerAt(register);
        if (t == null) {
            return 0;
        }
        return switch (register & (TIMER_STRIDE - 1)) {
            case TIMER_CONFIG -> t.config;
            case TIMER_COMPARATOR -> t.comparator & t.mask();
            case TIMER_FSB_ROUTE -> t.fsbRoute;
            default -> 0;
        };
    }

    /** Writes the bits of {@code value} under {@code mask} (the bytes the access covered). */
    private void writeRegister(int register, long value, long mask) {
        switch (register) {
            case CONFIGURATION -> writeConfiguration(merge(generalConfig, value, mask) & (CFG_ENABLE | CFG_LEGACY));
            case INTERRUPT_STATUS -> {
                interruptStatus &= ~(value & mask);
                for (Timer t : timers) {
                    t.updateLine();
                }
            }
            case MAIN_COUNTER -> {
                if (!enabled()) {
                    counter = merge(counter, value, mask);
                    counterSince = time.nanos();
                }
            }
            default -> {
                Timer t = timerAt(register);
                if (t != null) {
                    writeTimer(t, register & (TIMER_STRIDE - 1), value, mask);
                }
            }
        }
    }

    private void writeConfiguration(long value) {
        long now = time.nanos();
        if ((value & CFG_ENABLE) != (generalConfig & CFG_ENABLE)) {
            counter = counterAt(now); // stop or start counting from here
            counterSince = now;
        }
        generalConfig = value;
        for (Timer t : timers) {
            t.schedule();
            t.updateLine();
        }
        for (LegacyGate g : gates) {
            g.apply();
        }
    }

    private void writeTimer(Timer t, int register, long value, long mask) {
        switch (register) {
            case TIMER_CONFIG -> {
                long config = merge(t.config, value, mask);
                if ((t.config & TN_PERIODIC_CAP) == 0) {
                    config &= ~TN_PERIODIC;
                }
                t.config = config & TN_WRITABLE | TN_CAPABILITIES;
                if (t.narrow()) {
                    t.comparator &= 0xFFFF_FFFFL;
                    t.period &= 0xFFFF_FFFFL;
                }
                if (!t.level()) {
                    interruptStatus &= ~(1L << t.index);
                }
                t.schedule();
                t.updateLine();
            }
            case TIMER_COMPARATOR -> {
                if (t.narrow()) {
                    value &= 0xFFFF_FFFFL;
                    mask &= 0xFFFF_FFFFL;
                }
                // Spec §2.3.9.2.2: in periodic mode a write sets the increment, and also the
                // comparator itself only with Tn_VAL_SET_CNF, which then clears.
                if (!t.periodic() || (t.config & TN_VAL_SET) != 0) {
                    t.comparator = merge(t.comparator, value, mask) & t.mask();
                }
                t.period = merge(t.period, value, mask) & t.mask();
                // A 64-bit store may arrive as two 32-bit ones, low half first (Unicorn
                // splits 8-byte MMIO accesses): VAL_SET lasts through the high half, so
                // the pair sets the whole comparator as one 64-bit write does.
                if ((mask >>> 32) != 0 || t.narrow()) {
                    t.config &= ~TN_VAL_SET;
                }
                t.schedule();
            }
            case TIMER_FSB_ROUTE -> t.fsbRoute = merge(t.fsbRoute, value, mask);
            default -> {
            }
        }
    }

    private Timer timerAt(int register) {
        int index = (register - TIMER_BASE) / TIMER_STRIDE;
        return register >= TIMER_BASE && index < TIMERS ? timers[index] : null;
    }

    /** Timer {@code n}'s configuration register. */
    public long timerConfig(int n) {
        return timers[n].config;
    }

    public long comparator(int n) {
        return timers[n].comparator & timers[n].mask();
    }

    public long interruptStatus() {
        return interruptStatus;
    }

    /** Power-on: halted at 0, legacy routing off, comparators all ones, no interrupts. */
    @Override
    public void reset() {
        for (Timer t : timers) {
            t.config &= ~TN_INT_ENABLE;
        }
        interruptStatus = 0;
        for (Timer t : timers) {
            t.updateLine();
        }
        resetRegisters();
    }

    private void resetRegisters() {
        generalConfig = 0;
        interruptStatus = 0;
        counter = 0;
        counterSince = time.nanos();
        for (Timer t : timers) {
            t.reset();
        }
        for (LegacyGate g : gates) {
            g.apply();
        }
    }

    @Override
    public State state() {
        return new State(generalConfig, interruptStatus, counter, counterSince,
                List.of(timers[0].state(), timers[1].state(), timers[2].state()));
    }

    @Override
    public void restore(State s) {
        generalConfig = s.config();
        interruptStatus = s.interruptStatus();
        counter = s.counter();
        counterSince = s.counterSince();
        for (int i = 0; i < TIMERS; i++) {
            TimerState ts = s.timers().get(i);
            timers[i].config = ts.config();
            timers[i].comparator = ts.comparator();
            timers[i].period = ts.period();
            timers[i].fsbRoute = ts.fsbRoute();
            timers[i].schedule();
            timers[i].updateLine();
        }
        for (LegacyGate g : gates) {
            g.apply();
        }
    }

    private static long merge(long old, long value, long mask) {
        return old & ~mask | value & mask;
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
