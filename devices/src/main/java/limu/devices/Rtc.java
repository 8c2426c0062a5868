// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The Motorola MC146818 real-time clock and CMOS RAM of a PC, at ports 0x70
 * (index; bit 7 disables NMI) and 0x71 (data).
 * <p>
 * The date is UTC, {@code bootEpochSeconds} (the value the Limine date-at-boot
 * response reports) plus whole virtual seconds since virtual time 0, plus
 * whatever the guest changed by writing the time registers. The update cycle
 * happens at each virtual second boundary; Update In Progress (register A bit 7)
 * reads 1 during the {@link #UIP_WINDOW_NS} before it, as on the chip, so the
 * usual "wait for UIP to fall, then read" loops terminate and read a stable
 * time. Register B selects BCD or binary (DM, bit 2) and 12/24-hour format
 * (bit 1); the century lives at 0x32, as the FADT says.
 * <p>
 * Interrupts on IRQ8: periodic (PIE, at the rate register A selects from the
 * 32.768 kHz base), alarm (AIE) and update-ended (UIE), signalled in register
 * C, which reading clears along with the IRQ. Register C's PF and UF bits are
 * also reported for periods and updates that passed while their interrupt was
 * disabled (they are computed on reading); AF is only raised while AIE is set.
 * Left out: the divider-chain reset and SET bit freezing the clock (the time
 * keeps running while SET is 1; writes take effect at once), daylight saving
 * (DSE), square-wave output.
 */
public final class Rtc implements Device, Snapshottable<Rtc.State> {
    public static final int INDEX_PORT = 0x70, DATA_PORT = 0x71;
    public static final int RAM_SIZE = 128;

    // Register indices.
    public static final int SECONDS = 0x00, SECONDS_ALARM = 0x01, MINUTES = 0x02, MINUTES_ALARM = 0x03,
            HOURS = 0x04, HOURS_ALARM = 0x05, DAY_OF_WEEK = 0x06, DAY_OF_MONTH = 0x07, MONTH = 0x08, YEAR = 0x09,
            REGISTER_A = 0x0A, REGISTER_B = 0x0B, REGISTER_C = 0x0C, REGISTER_D = 0x0D, CENTURY = 0x32;

    public static final int INDEX_NMI_DISABLE = 0x80;
    public static final int A_UIP = 0x80;
    public static final int B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_BINARY = 0x04,
            B_24_HOUR = 0x02;
    public static final int C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10;
    public static final int D_VALID_RAM = 0x80;
    /** A PC BIOS's choices: 32.768 kHz divider, 1024 Hz periodic rate; BCD, 24-hour. */
    public static final int DEFAULT_A = 0x26, DEFAULT_B = B_24_HOUR;
    public static final long UIP_WINDOW_NS = 244_000;
    static final TickRate BASE_CLOCK = new TickRate(32_768);
    private static final long SECOND = 1_000_000_000L;

    /**
     * @param ram             the 128 bytes (the time registers there are ignored: time comes from the clock)
     * @param offsetSeconds   seconds the guest moved the clock by
     * @param lastClearNanos  when register C was last read
     */
    public record State(int index, boolean nmiDisabled, List<Byte> ram, long offsetSeconds, int flags,
                        long lastClearNanos, boolean irqLevel) {
        public State {
            ram = List.copyOf(ram);
            if (ram.size() != RAM_SIZE) {
                throw new IllegalArgumentException("CMOS RAM is " + RAM_SIZE + " bytes");
            }
        }
    }

    private final long bootEpochSeconds;
    private final VirtualTime time;
    private final InterruptLine irq8;
    private final DeviceTimer updateTimer;
    private final DeviceTimer periodicTimer;
    private final byte[] ram = new byte[RAM_SIZE];
    private int index;
    private boolean nmiDisabled;
    private long offsetSeconds;
    private int flags;
    private long lastClearNanos;
    private boolean irqLevel;

    /**
     * @param bootEpochSeconds the UTC date and time at virtual time 0, in Unix seconds
     * @param irq8             ISA IRQ8 (8259 input 8, I/O APIC pin 8)
     */
    public Rtc(long bootEpochSeconds, VirtualTime time, TimerScheduler timers, InterruptLine irq8) {
        if (time == null || timers == null || irq8 == null) {
            throw new NullPointerException("RTC dependencies");
        }
        this.bootEpochSeconds = bootEpochSeconds;
        this.time = time;
        this.irq8 = irq8;
        this.updateTimer = timers.newTimer("rtc.update", this::secondPassed);
        this.periodicTimer = timers.newTimer("rtc.periodic", this::periodPassed);
        powerOn();
    }

    @Override
    public String name() {
        return "rtc";
    }

    @Override
    public List<PortRange> ports() {
        return List.of(new PortRange(INDEX_PORT, 2));
    }

    /** Whether the guest last wrote the index port with bit 7 set: NMIs are to be held off. */
    public boolean nmiDisabled() {
        return nmiDisabled;
    }

    /** The clock's current date and time (UTC). */
    public LocalDateTime now() {
        return LocalDateTime.ofEpochSecond(epochSeconds(), 0, ZoneOffset.UTC);
    }

    /** Sets a CMOS RAM byte from the machine (e.g. memory sizes at 0x34/0x35, as firmware leaves them). */
    public void setRam(int index, int value) {
        ram[index] = (byte) value;
    }

    @Override
    public int portRead(int port, int size) {
        return AccessSize.readBytes(port, size, p -> p == DATA_PORT ? readRegister(index) : 0xFF);
    }

    @Override
    public void portWrite(int port, int size, int value) {
        AccessSize.writeBytes(port, size, value, (p, v) -> {
            if (p == INDEX_PORT) {
                index = v & 0x7F;
                nmiDisabled = (v & INDEX_NMI_DISABLE) != 0;
            } else if (p == DATA_PORT) {
                writeRegister(index, v);
            }
        });
    }

    /** CMOS register {@code i} (0-127) as the guest reads it. */
    public int readRegister(int i) {
        return switch (i) {
            case SECONDS, MINUTES, HOURS, DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR, CENTURY -> readTime(i);
            case REGISTER_A -> ram[REGISTER_A] & 0x7F | (updateInProgress() ? A_UIP : 0);
            case REGISTER_C -> readAndClearC();
            case REGISTER_D -> D_VALID_RAM;
            default -> ram[i] & 0xFF;
        };
    }

    public void writeRegister(int i, int v) {
        switch (i) {
            case SECONDS, MINUTES, HOURS, DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR, CENTURY -> writeTime(i, v);
            case REGISTER_A -> {
                ram[REGISTER_A] = (byte) (v & 0x7F);
                armTimers();
            }
            case REGISTER_B -> {
                if ((v & B_SET) != 0) {
                    v &= ~B_UIE; // datasheet: setting SET clears UIE
                }
                ram[REGISTER_B] = (byte) v;
                armTimers();
                updateIrq();
            }
            case REGISTER_C, REGISTER_D -> {
                // read-only
            }
            default -> ram[i] = (byte) v;
        }
    }

    private boolean updateInProgress() {
        return (registerB() & B_SET) == 0 && time.nanos() % SECOND >= SECOND - UIP_WINDOW_NS;
    }

    private int registerB() {
        return ram[REGISTER_B] & 0xFF;
    }

    private long epochSeconds() {
        return bootEpochSeconds + offsetSeconds + time.nanos() / SECOND;
    }

    private int readTime(int i) {
        LocalDateTime t = now();
        int value = switch (i) {
            case SECONDS -> t.getSecond();
            case MINUTES -> t.getMinute();
            case HOURS -> t.getHour();
            case DAY_OF_WEEK -> t.getDayOfWeek().getValue() % 7 + 1; // Sunday = 1
            case DAY_OF_MONTH -> t.getDayOfMonth();
            case MONTH -> t.getMonthValue();
            case YEAR -> t.getYear() % 100;
            default -> t.getYear() / 100;
        };
        if (i == HOURS && (registerB() & B_24_HOUR) == 0) {
            int h12 = value % 12 == 0 ? 12 : value % 12;
            return encode(h12) | (value >= 12 ? 0x80 : 0);
        }
        return encode(value);
    }

    private void writeTime(int i, int raw) {
        LocalDateTime t = now();
        try {
            LocalDateTime updated = switch (i) {
                case SECONDS -> t.withSecond(decode(raw));
                case MINUTES -> t.withMinute(decode(raw));
                case HOURS -> t.withHour(decodeHour(raw));
                case DAY_OF_MONTH -> t.withDayOfMonth(decode(raw));
                case MONTH -> t.withMonth(decode(raw));
                case YEAR -> t.withYear(t.getYear() / 100 * 100 + decode(raw));
                case CENTURY -> t.withYear(decode(raw) * 100 + t.getYear() % 100);
                default -> t; // the day of week follows from the date
            };
            offsetSeconds += updated.toEpochSecond(ZoneOffset.UTC) - t.toEpochSecond(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            // An impossible date or time: the chip would count from garbage; keep the clock as it is.
        }
    }

    private int decodeHour(int raw) {
        if ((registerB() & B_24_HOUR) != 0) {
            return decode(raw);
        }
        int h = decode(raw & 0x7F) % 12;
        return (raw & 0x80) != 0 ? h + 12 : h;
    }

    private int encode(int v) {
        return (registerB() & B_BINARY) != 0 ? v : v / 10 << 4 | v % 10;
    }

    private int decode(int v) {
        return (registerB() & B_BINARY) != 0 ? v : (v >>> 4) * 10 + (v & 0xF);
    }

    // ---- interrupts ----

    /** Periodic interrupt interval in 32.768 kHz ticks for register A's rate select; 0 = none. */
    private long periodTicks() {
        int rate = ram[REGISTER_A] & 0xF;
        if (rate == 0) {
            return 0;
        }
        return 1L << ((rate <= 2 ? rate + 7 : rate) - 1);
    }

    private int readAndClearC() {
        long now = time.nanos();
        int c = flags;
        if (now / SECOND > lastClearNanos / SECOND) {
            c |= C_UF;
        }
        long period = periodTicks();
        if (period != 0 && BASE_CLOCK.ticks(now) / period > BASE_CLOCK.ticks(lastClearNanos) / period) {
            c |= C_PF;
        }
        if ((c & registerB() & (C_PF | C_AF | C_UF)) != 0) {
            c |= C_IRQF;
        }
        flags = 0;
        lastClearNanos = now;
        updateIrq();
        return c;
    }

    private void secondPassed() {
        flags |= C_UF;
        int b = registerB();
        if ((b & B_AIE) != 0 && alarmMatches()) {
            flags |= C_AF;
        }
        armTimers();
        updateIrq();
    }

    private void periodPassed() {
        flags |= C_PF;
        armTimers();
        updateIrq();
    }

    /** Alarm bytes match the time; 0xC0-0xFF in an alarm byte means "any" (datasheet). */
    private boolean alarmMatches() {
        int[][] pairs = {{SECONDS_ALARM, SECONDS}, {MINUTES_ALARM, MINUTES}, {HOURS_ALARM, HOURS}};
        for (int[] p : pairs) {
            int alarm = ram[p[0]] & 0xFF;
            if ((alarm & 0xC0) != 0xC0 && alarm != readTime(p[1])) {
                return false;
            }
        }
        return true;
    }

    private void armTimers() {
        long now = time.nanos();
        int b = registerB();
        if ((b & (B_UIE | B_AIE)) != 0 && (b & B_SET) == 0) {
            updateTimer.arm((now / SECOND + 1) * SECOND);
        } else {
            updateTimer.cancel();
        }
        long period = periodTicks();
        if ((b & B_PIE) != 0 && period != 0) {
            periodicTimer.arm(BASE_CLOCK.nanos((BASE_CLOCK.ticks(now) / period + 1) * period));
        } else {
            periodicTimer.cancel();
        }
    }

    private void updateIrq() {
        boolean level = (flags & registerB() & (C_PF | C_AF | C_UF)) != 0;
        if (level != irqLevel) {
            irqLevel = level;
            irq8.set(level);
        }
    }

    @Override
    public void reset() {
        powerOn();
        updateIrq();
    }

    private void powerOn() {
        java.util.Arrays.fill(ram, (byte) 0);
        ram[REGISTER_A] = DEFAULT_A;
        ram[REGISTER_B] = DEFAULT_B;
        index = 0;
        nmiDisabled = false;
        offsetSeconds = 0;
        flags = 0;
        lastClearNanos = time.nanos();
        updateTimer.cancel();
        periodicTimer.cancel();
    }

    @Override
    public State state() {
        Byte[] bytes = new Byte[RAM_SIZE];
        for (int i = 0; i < RAM_SIZE; i++) {
            bytes[i] = ram[i];
        }
        return new State(index, nmiDisabled, List.of(bytes), offsetSeconds, flags, lastClearNanos, irqLevel);
    }

    @Override
    public void restore(State s) {
        for (int i = 0; i < RAM_SIZE; i++) {
            ram[i] = s.ram().get(i);
        }
        index = s.index();
        nmiDisabled = s.nmiDisabled();
        offsetSeconds = s.offsetSeconds();
        flags = s.flags();
        lastClearNanos = s.lastClearNanos();
        armTimers();
        updateIrq();
    }
}
