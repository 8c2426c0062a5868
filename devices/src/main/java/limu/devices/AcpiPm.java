// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.List;

/**
 * The ACPI fixed hardware of a PIIX4-like chipset at the ports the FADT names
 * (limu's bootloader writes QEMU's): PM1a event block at 0xB000 (PM1_STS,
 * PM1_EN: 2 bytes each), PM1a control at 0xB004 (PM1_CNT, 2 bytes), the power
 * management timer at 0xB008 (4 bytes) and GPE0 at 0xAFE0 (GPE0_STS, GPE0_EN:
 * 2 bytes each) (ACPI 6.5 §4.8).
 * <p>
 * The PM timer is 24 bits wide (FADT flag TMR_VAL_EXT clear), counts at
 * 3.579545 MHz from virtual time 0 and wraps; TMR_STS is set each time bit 23
 * changes. SCI_EN reads 1 always: with SMI_CMD 0 in the FADT the machine is
 * permanently in ACPI mode. A write with SLP_EN and SLP_TYP =
 * {@code s5SleepType} requests power-off (QEMU's PIIX4 uses SLP_TYP 0 for S5;
 * the DSDT's {@code \_S5} package must say the same); other sleep states are not
 * supported and the write is ignored. The SCI (IRQ 9, level) is asserted while
 * an enabled status bit is set.
 */
public final class AcpiPm implements Device, Snapshottable<AcpiPm.State> {
    public static final int PM1_EVENT_PORT = 0xB000;
    public static final int PM1_STATUS = PM1_EVENT_PORT, PM1_ENABLE = PM1_EVENT_PORT + 2;
    public static final int PM1_CONTROL = 0xB004;
    public static final int PM_TIMER = 0xB008;
    public static final int GPE0_PORT = 0xAFE0;
    public static final int GPE0_STATUS = GPE0_PORT, GPE0_ENABLE = GPE0_PORT + 2;
    public static final long TIMER_HZ = 3_579_545L;
    public static final TickRate TIMER_RATE = new TickRate(TIMER_HZ);
    public static final int TIMER_BITS = 24;

    // PM1 status/enable bits.
    public static final int TMR_STS = 1, BM_STS = 1 << 4, GBL_STS = 1 << 5, PWRBTN_STS = 1 << 8,
            SLPBTN_STS = 1 << 9, RTC_STS = 1 << 10, WAK_STS = 1 << 15;
    static final int PM1_ENABLE_WRITABLE = TMR_STS | GBL_STS | PWRBTN_STS | SLPBTN_STS | RTC_STS;
    // PM1 control bits.
    public static final int SCI_EN = 1, BM_RLD = 2, GBL_RLS = 4;
    public static final int SLP_TYP_SHIFT = 10;
    public static final int SLP_EN = 1 << 13;
    static final int PM1_CONTROL_WRITABLE = BM_RLD | GBL_RLS | 7 << SLP_TYP_SHIFT;
    /** QEMU PIIX4: SLP_TYP 0 is S5 (soft off). */
    public static final int DEFAULT_S5_SLEEP_TYPE = 0;

    /** @param timerStatusEpoch the PM timer's bit-23 period (ticks >> 23) when TMR_STS was last cleared */
    public record State(int pm1Status, int pm1Enable, int pm1Control, int gpeStatus, int gpeEnable,
                        long timerStatusEpoch, boolean sciLevel) {
    }

    private final VirtualTime time;
    private final InterruptLine sci;
    private final PowerListener power;
    private final int s5SleepType;
    private final DeviceTimer overflowTimer;
    private int pm1Status;
    private int pm1Enable;
    private int pm1Control;
    private int gpeStatus;
    private int gpeEnable;
    private long timerStatusEpoch;
    private boolean sciLevel;

    public AcpiPm(VirtualTime time, TimerScheduler timers, InterruptLine sci, PowerListener power) {
        this(time, timers, sci, power, DEFAULT_S5_SLEEP_TYPE);
    }

    public AcpiPm(VirtualTime time, TimerScheduler timers, InterruptLine sci, PowerListener power, int s5SleepType) {
        if (time == null || timers == null || sci == null || power == null) {
            throw new NullPointerException("ACPI PM dependencies");
        }
        this.time = time;
        this.sci = sci;
        this.power = power;
        this.s5SleepType = s5SleepType & 7;
        this.overflowTimer = timers.newTimer("acpi.pmtimer", this::timerCarry);
        powerOn();
    }

    @Override
    public String name() {
        return "acpi-pm";
    }

    @Override
    public List<PortRange> ports() {
        return List.of(new PortRange(PM1_EVENT_PORT, 4), new PortRange(PM1_CONTROL, 2), new PortRange(PM_TIMER, 4),
                new PortRange(GPE0_PORT, 4));
    }

    /** The PM timer's 24-bit value now. */
    public int timerValue() {
        return (int) (TIMER_RATE.ticks(time.nanos()) & ((1 << TIMER_BITS) - 1));
    }

    private long timerEpoch() {
        return TIMER_RATE.ticks(time.nanos()) >>> (TIMER_BITS - 1);
    }

    @Override
    public int portRead(int port, int size) {
        if (port >= PM_TIMER && port < PM_TIMER + 4) {
            return (int) AccessSize.extract(timerValue() & 0xFFFF_FFFFL, port - PM_TIMER, Math.min(size, 4));
        }
        return AccessSize.readBytes(port, size, this::readByte);
    }

    private int readByte(int port) {
        return switch (port) {
            case PM1_STATUS -> pm1StatusNow() & 0xFF;
            case PM1_STATUS + 1 -> pm1StatusNow() >>> 8;
            case PM1_ENABLE -> pm1Enable & 0xFF;
            case PM1_ENABLE + 1 -> pm1Enable >>> 8;
            case PM1_CONTROL -> (pm1Control | SCI_EN) & 0xFF;
            case PM1_CONTROL + 1 -> pm1Control >>> 8;
            case GPE0_STATUS -> gpeStatus & 0xFF;
            case GPE0_STATUS + 1 -> gpeStatus >>> 8;
            case GPE0_ENABLE -> gpeEnable & 0xFF;
            case GPE0_ENABLE + 1 -> gpeEnable >>> 8;
            default -> 0xFF;
        };
    }

    private int pm1StatusNow() {
        return pm1Status | (timerEpoch() != timerStatusEpoch ? TMR_STS : 0);
    }

    @Override
    public void portWrite(int port, int size, int value) {
        if (port >= PM_TIMER && port < PM_TIMER + 4) {
            return; // read-only
        }
        if (port == PM1_CONTROL && size >= 2) {
            writeControl(value & 0xFFFF);
            return;
        }
        AccessSize.writeBytes(port, size, value, this::writeByte);
    }

    private void writeByte(int port, int v) {
        switch (port) {
            case PM1_STATUS, PM1_STATUS + 1 -> {
                int bits = port == PM1_STATUS ? v : v << 8;
                if ((bits & TMR_STS) != 0) {
                    timerStatusEpoch = timerEpoch();
                }
                pm1Status &= ~bits;
            }
            case PM1_ENABLE -> pm1Enable = (pm1Enable & 0xFF00 | v) & PM1_ENABLE_WRITABLE;
            case PM1_ENABLE + 1 -> pm1Enable = (pm1Enable & 0xFF | v << 8) & PM1_ENABLE_WRITABLE;
            case PM1_CONTROL -> writeControl(pm1Control & 0xFF00 | v);
            case PM1_CONTROL + 1 -> writeControl(pm1Control & 0xFF | v << 8);
            case GPE0_STATUS -> gpeStatus &= ~v;
            case GPE0_STATUS + 1 -> gpeStatus &= ~(v << 8);
            case GPE0_ENABLE -> gpeEnable = gpeEnable & 0xFF00 | v;
            case GPE0_ENABLE + 1 -> gpeEnable = gpeEnable & 0xFF | v << 8;
            default -> {
            }
        }
        armTimer();
        updateSci();
    }

    private void writeControl(int v) {
        pm1Control = v & PM1_CONTROL_WRITABLE;
        if ((v & SLP_EN) != 0) {
            int type = v >>> SLP_TYP_SHIFT & 7;
            if (type == s5SleepType) {
                power.powerOffRequested(String.format("ACPI PM1 control: SLP_TYP %d (S5) + SLP_EN", type));
            }
        }
    }

    /** The power button was pressed (e.g. the user asked the machine to shut down gracefully). */
    public void pressPowerButton() {
        pm1Status |= PWRBTN_STS;
        updateSci();
    }

    private void timerCarry() {
        armTimer();
        updateSci();
    }

    /** While TMR_EN is set, wake at the next bit-23 change so the SCI is raised on time. */
    private void armTimer() {
        if ((pm1Enable & TMR_STS) != 0 && timerEpoch() == timerStatusEpoch) {
            overflowTimer.arm(TIMER_RATE.nanos((timerEpoch() + 1) << (TIMER_BITS - 1)));
        } else {
            overflowTimer.cancel();
        }
    }

    private void updateSci() {
        boolean level = (pm1StatusNow() & pm1Enable) != 0 || (gpeStatus & gpeEnable) != 0;
        if (level != sciLevel) {
            sciLevel = level;
            sci.set(level);
        }
    }

    @Override
    public void reset() {
        powerOn();
        updateSci();
    }

    private void powerOn() {
        pm1Status = 0;
        pm1Enable = 0;
        pm1Control = 0;
        gpeStatus = 0;
        gpeEnable = 0;
        timerStatusEpoch = timerEpoch();
        overflowTimer.cancel();
    }

    @Override
    public State state() {
        return new State(pm1Status, pm1Enable, pm1Control, gpeStatus, gpeEnable, timerStatusEpoch, sciLevel);
    }

    @Override
    public void restore(State s) {
        pm1Status = s.pm1Status();
        pm1Enable = s.pm1Enable();
        pm1Control = s.pm1Control();
        gpeStatus = s.gpeStatus();
        gpeEnable = s.gpeEnable();
        timerStatusEpoch = s.timerStatusEpoch();
        armTimer();
        updateSci();
    }
}
