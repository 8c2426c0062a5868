// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.List;

/**
 * The Intel 8254 programmable interval timer at ports 0x40-0x43, clocked at
 * 1.193182 MHz from virtual time, with the PC's wiring: channel 0's OUT drives
 * ISA IRQ0, channel 2's GATE and OUT are reached through system control port B
 * (0x61: bit 0 gate, bit 1 speaker data, bit 4 refresh toggle, bit 5 OUT2), the
 * way kernels calibrate the TSC, and channel 1 (DRAM refresh) drives nothing.
 * <p>
 * All six modes, the counter latch command, read-back, LSB/MSB/both access and
 * BCD counting follow the 8254 datasheet, with these simplifications: a newly
 * written count takes effect at once (the chip waits for the next clock edge,
 * and in modes 2 and 3 for the end of the current period), and mode 3 halves
 * odd counts as even ones (as QEMU). Counting is exact: the count at any virtual
 * instant is computed from the time it was loaded, so two reads a microsecond
 * apart differ by 1 or 2.
 * <p>
 * Power-on state as QEMU: every channel in mode 3 with count 65536 (channel 0
 * therefore ticks at 18.2 Hz), gates of channels 0 and 1 high, gate 2 low.
 * <p>
 * IRQ0 is driven on OUT0's edges: in mode 0 the line follows OUT0 (low when the
 * count is written, high at terminal count); in the periodic modes 2 and 3 (and
 * mode 4's strobe) each rising edge of OUT0 is a low-high pulse, the line
 * otherwise resting high.
 */
public final class Pit8254 implements Device, Snapshottable<Pit8254.State> {
    public static final int CHANNEL0 = 0x40, CHANNEL1 = 0x41, CHANNEL2 = 0x42, CONTROL = 0x43;
    public static final int PORT_B = 0x61;
    public static final long FREQUENCY_HZ = 1_193_182L;
    public static final TickRate RATE = new TickRate(FREQUENCY_HZ);
    /** Port 0x61 bit 4 toggles every 15.085 µs (DRAM refresh request on the AT). */
    static final long REFRESH_TOGGLE_NS = 15_085;

    // Port B (0x61).
    public static final int PORT_B_GATE2 = 0x01;
    public static final int PORT_B_SPEAKER = 0x02;
    public static final int PORT_B_REFRESH = 0x10;
    public static final int PORT_B_OUT2 = 0x20;
    static final int PORT_B_WRITABLE = 0x0F;

    // Access modes (control word bits 4-5).
    static final int RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_BOTH = 3;

    /**
     * One counter.
     *
     * @param count        the reload value, 1-65536 (10000 in BCD)
     * @param startTick    clock tick (since virtual time 0) at which counting began
     * @param frozenTicks  ticks counted when GATE went low in mode 0 or 4 (-1 if counting)
     * @param triggered    modes 1 and 5: GATE has risen since the count was written
     * @param loaded       a count has been written since the last control word
     * @param lowByte      the LSB written, waiting for the MSB (-1 if none)
     * @param readMsbNext  in LSB-then-MSB mode, the next read returns the MSB
     * @param latch        latched count (-1 if none); {@code latchMsbNext} as {@code readMsbNext}
     * @param status       latched status byte (-1 if none)
     * @param nextEdgeTick channel 0: the counted tick of the next rising edge of OUT (-1 if none)
     */
    public record ChannelState(int mode, int access, boolean bcd, int count, long startTick, long frozenTicks,
                               boolean gate, boolean triggered, boolean loaded, boolean nullCount, int lowByte,
                               boolean readMsbNext, int latch, boolean latchMsbNext, int status,
                               long nextEdgeTick) {
    }

    public record State(List<ChannelState> channels, int portB, boolean irqLevel) {
        public State {
            channels = List.copyOf(channels);
        }
    }

    private final class Channel {
        final int index;
        int mode, access, count, lowByte, latch, status;
        boolean bcd, gate, triggered, loaded, nullCount, readMsbNext, latchMsbNext;
        long startTick, frozenTicks, nextEdgeTick;

        Channel(int index) {
            this.index = index;
        }

        void powerOn() {
            mode = 3;
            access = RW_BOTH;
            bcd = false;
            gate = index != 2;
            lowByte = -1;
            latch = -1;
            status = -1;
            readMsbNext = false;
            latchMsbNext = false;
            load(0);
        }

        /** Ticks counted since the count was loaded (or triggered), with gate pauses taken out. */
        long elapsed() {
            if (frozenTicks >= 0) {
                return frozenTicks;
            }
            return Math.max(0, nowTick() - startTick);
        }

        boolean running() {
            if (!loaded) {
                return false;
            }
            return switch (mode) {
                case 1, 5 -> triggered;
                case 2, 3 -> gate;
                default -> true; // 0 and 4 pause through frozenTicks
            };
        }

        int value() {
            if (!running()) {
                return count & 0xFFFF;
            }
            long d = elapsed();
            long modulus = bcd ? 10_000 : 0x10000;
            return (int) switch (mode) {
                case 2 -> count - d % count;
                case 3 -> count - (2 * d) % count;
                default -> Math.floorMod(count - d, modulus);
            } & 0xFFFF;
        }

        boolean out() {
            if (!loaded) {
                return mode != 0;
            }
            if (!running()) {
                return true; // modes 1/5 waiting for a trigger, 2/3 with GATE low
            }
            long d = elapsed();
            return switch (mode) {
                case 0 -> d >= count;
                case 1 -> d >= count;
                case 2 -> d % count != count - 1;
                case 3 -> d % count < (count + 1) / 2;
                default -> d != count; // 4, 5: one-tick low strobe at terminal count
            };
        }

        void load(int raw) {
            count = bcd ? fromBcd(raw) : raw;
            if (count == 0) {
                count = bcd ? 10_000 : 0x10000;
            }
            loaded = true;
            nullCount = false;
            frozenTicks = -1;
            startTick = nowTick();
            triggered = false;
            if ((mode == 0 || mode == 4) && !gate) {
                frozenTicks = 0;
            }
            if (index == 0) {
                if (mode == 0) {
                    setIrq(false);
                } else {
                    setIrq(true);
                }
                scheduleEdge(0);
            }
        }

        void setGate(boolean high) {
            if (high == gate) {
                return;
            }
            gate = high;
            if (mode == 0 || mode == 4) {
                if (!high) {
                    frozenTicks = elapsed();
                } else if (frozenTicks >= 0) {
                    startTick = nowTick() - frozenTicks;
                    frozenTicks = -1;
                }
            } else if (high) {
                startTick = nowTick(); // rising GATE (re)triggers modes 1, 2, 3, 5
                triggered = true;
            }
            if (index == 0) {
                scheduleEdge(0);
            }
        }

        /** Channel 0: arms the timer for the first rising edge of OUT after counted tick {@code after}. */
        void scheduleEdge(long after) {
            irqTimer.cancel();
            nextEdgeTick = -1;
            if (!running() || frozenTicks >= 0) {
                return;
            }
            long edge = switch (mode) {
                case 0 -> after < count ? count : -1;
                case 2, 3 -> (after / count + 1) * count;
                case 4 -> after < count + 1 ? count + 1 : -1;
                default -> -1;
            };
            if (edge < 0) {
                return;
            }
            nextEdgeTick = edge;
            irqTimer.arm(RATE.nanos(startTick + edge));
        }

        void edgeReached() {
            long edge = nextEdgeTick;
            if (mode == 0) {
                setIrq(true);
            } else {
                setIrq(false);
                setIrq(true);
            }
            long now = elapsed();
            scheduleEdge(Math.max(edge, now));
        }

        void writeCount(int v) {
            switch (access) {
                case RW_LSB -> load(v);
                case RW_MSB -> load(v << 8);
                default -> {
                    if (lowByte < 0) {
                        lowByte = v;
                        if (mode == 0) {
                            loaded = false; // writing the first byte stops the count (datasheet, mode 0)
                            if (index == 0) {
                                setIrq(false);
                                scheduleEdge(0);
                            }
                        }
                    } else {
                        int raw = lowByte | v << 8;
                        lowByte = -1;
                        load(raw);
                    }
                }
            }
        }

        int readCount() {
            if (status >= 0) {
                int s = status;
                status = -1;
                return s;
            }
            if (latch >= 0) {
                int v = latch;
                boolean msb = access == RW_MSB || access == RW_BOTH && latchMsbNext;
                if (access == RW_BOTH && !latchMsbNext) {
                    latchMsbNext = true;
                } else {
                    latch = -1;
                    latchMsbNext = false;
                }
                return msb ? v >>> 8 : v & 0xFF;
            }
            int v = bcd ? toBcd(value()) : value();
            boolean msb = access == RW_MSB || access == RW_BOTH && readMsbNext;
            if (access == RW_BOTH) {
                readMsbNext = !readMsbNext;
            }
            return msb ? v >>> 8 & 0xFF : v & 0xFF;
        }

        void latchCount() {
            if (latch < 0) {
                latch = bcd ? toBcd(value()) : value();
                latchMsbNext = false;
            }
        }

        void latchStatus() {
            if (status < 0) {
                status = (out() ? 0x80 : 0) | (nullCount ? 0x40 : 0) | access << 4 | mode << 1 | (bcd ? 1 : 0);
            }
        }

        void control(int v) {
            int rw = v >>> 4 & 3;
            if (rw == RW_LATCH) {
                latchCount();
                return;
            }
            access = rw;
            mode = v >>> 1 & 7;
            if (mode > 5) {
                mode -= 4; // 6 and 7 are aliases of 2 and 3
            }
            bcd = (v & 1) != 0;
            loaded = false;
            nullCount = true;
            lowByte = -1;
            readMsbNext = false;
            latch = -1;
            status = -1;
            frozenTicks = -1;
            if (index == 0) {
                setIrq(mode != 0);
                scheduleEdge(0);
            }
        }

        ChannelState state() {
            return new ChannelState(mode, access, bcd, count, startTick, frozenTicks, gate, triggered, loaded,
                    nullCount, lowByte, readMsbNext, latch, latchMsbNext, status, nextEdgeTick);
        }

        void restore(ChannelState s) {
            mode = s.mode();
            access = s.access();
            bcd = s.bcd();
            count = s.count();
            startTick = s.startTick();
            frozenTicks = s.frozenTicks();
            gate = s.gate();
            triggered = s.triggered();
            loaded = s.loaded();
            nullCount = s.nullCount();
            lowByte = s.lowByte();
            readMsbNext = s.readMsbNext();
            latch = s.latch();
            latchMsbNext = s.latchMsbNext();
            status = s.status();
            nextEdgeTick = s.nextEdgeTick();
        }
    }

    private final VirtualTime time;
    private final InterruptLine irq0;
    private final DeviceTimer irqTimer;
    private final Channel[] channels = {new Channel(0), new Channel(1), new Channel(2)};
    private int portB;
    private boolean irqLevel;

    /** @param irq0 ISA IRQ0 (8259 input 0 and I/O APIC pin 2 through the MADT override) */
    public Pit8254(VirtualTime time, TimerScheduler timers, InterruptLine irq0) {
        if (time == null || timers == null || irq0 == null) {
            throw new NullPointerException("PIT dependencies");
        }
        this.time = time;
        this.irq0 = irq0;
        this.irqTimer = timers.newTimer("pit.channel0", () -> channels[0].edgeReached());
        powerOn();
    }

    @Override
    public String name() {
        return "pit";
    }

    @Override
    public List<PortRange> ports() {
        return List.of(new PortRange(CHANNEL0, 4), new PortRange(PORT_B, 1));
    }

    @Override
    public int portRead(int port, int size) {
        return AccessSize.readBytes(port, size, this::readByte);
    }

    @Override
    public void portWrite(int port, int size, int value) {
        AccessSize.writeBytes(port, size, value, this::writeByte);
    }

    private int readByte(int port) {
        return switch (port) {
            case CHANNEL0, CHANNEL1, CHANNEL2 -> channels[port - CHANNEL0].readCount();
            case PORT_B -> readPortB();
            default -> 0xFF; // the control register cannot be read
        };
    }

    private void writeByte(int port, int value) {
        switch (port) {
            case CHANNEL0, CHANNEL1, CHANNEL2 -> channels[port - CHANNEL0].writeCount(value);
            case CONTROL -> writeControl(value);
            case PORT_B -> {
                portB = value & PORT_B_WRITABLE;
                channels[2].setGate((value & PORT_B_GATE2) != 0);
            }
            default -> {
            }
        }
    }

    private void writeControl(int v) {
        int select = v >>> 6;
        if (select < 3) {
            channels[select].control(v);
            return;
        }
        // Read-back (datasheet): bit 5 clear latches counts, bit 4 clear latches status, bits 1-3 select.
        for (int i = 0; i < 3; i++) {
            if ((v & 2 << i) != 0) {
                if ((v & 0x10) == 0) {
                    channels[i].latchStatus();
                }
                if ((v & 0x20) == 0) {
                    channels[i].latchCount();
                }
            }
        }
    }

    private int readPortB() {
        int refresh = (time.nanos() / REFRESH_TOGGLE_NS & 1) != 0 ? PORT_B_REFRESH : 0;
        return portB | refresh | (channels[2].out() ? PORT_B_OUT2 : 0);
    }

    /** Channel {@code n}'s current count (binary) and OUT level, for diagnostics. */
    public int count(int n) {
        return channels[n].value();
    }

    public boolean out(int n) {
        return channels[n].out();
    }

    /** Whether speaker data (port 0x61 bit 1) is on: the machine may play OUT2 as a tone. */
    public boolean speakerEnabled() {
        return (portB & PORT_B_SPEAKER) != 0;
    }

    private long nowTick() {
        return RATE.ticks(time.nanos());
    }

    private void setIrq(boolean level) {
        if (level != irqLevel) {
            irqLevel = level;
            irq0.set(level);
        }
    }

    @Override
    public void reset() {
        powerOn();
    }

    private void powerOn() {
        portB = 0;
        for (Channel c : channels) {
            c.powerOn();
        }
    }

    @Override
    public State state() {
        return new State(List.of(channels[0].state(), channels[1].state(), channels[2].state()), portB, irqLevel);
    }

    @Override
    public void restore(State s) {
        for (int i = 0; i < 3; i++) {
            channels[i].restore(s.channels().get(i));
        }
        portB = s.portB();
        setIrq(s.irqLevel());
        Channel c0 = channels[0];
        irqTimer.cancel();
        if (c0.nextEdgeTick >= 0) {
            irqTimer.arm(RATE.nanos(c0.startTick + c0.nextEdgeTick));
        }
    }

    static int fromBcd(int v) {
        return (v >>> 12 & 0xF) * 1000 + (v >>> 8 & 0xF) * 100 + (v >>> 4 & 0xF) * 10 + (v & 0xF);
    }

    static int toBcd(int v) {
        v %= 10_000;
        return v / 1000 << 12 | v / 100 % 10 << 8 | v / 10 % 10 << 4 | v % 10;
    }
}
