// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AcpiPmTest {
    private final ManualClock clock = new ManualClock();
    private final TimerQueue timers = new TimerQueue();
    private final HpetTest.Line sci = new HpetTest.Line();
    private final Ps2ControllerTest.Power power = new Ps2ControllerTest.Power();
    private final AcpiPm pm = new AcpiPm(clock, timers, sci, power);

    @Test
    void pmTimerCountsAt3579545HzIn24Bits() {
        int t0 = pm.portRead(0xB008, 4);
        clock.advance(1_000_000_000L);
        int t1 = pm.portRead(0xB008, 4);
        assertEquals(3_579_545 & 0xFF_FFFF, t1 - t0);
        clock.advance(1_000_000_000L);
        assertEquals(7_159_090 & 0xFF_FFFF, pm.portRead(0xB008, 4), "wrapped at 24 bits");
        assertEquals(7_159_090 & 0xFFFF, pm.portRead(0xB008, 2));
    }

    @Test
    void timerStatusAndSci() {
        assertEquals(0, pm.portRead(0xB000, 2) & AcpiPm.TMR_STS);
        pm.portWrite(0xB002, 2, AcpiPm.TMR_STS);
        timers.advance(clock, 2_400_000_000L); // bit 23 changes after 2^23 ticks = 2.34 s
        assertTrue(sci.level);
        assertEquals(AcpiPm.TMR_STS, pm.portRead(0xB000, 2) & AcpiPm.TMR_STS);
        pm.portWrite(0xB000, 2, AcpiPm.TMR_STS);
        assertFalse(sci.level, "write-1-to-clear drops the SCI");
        pm.pressPowerButton();
        assertFalse(sci.level, "power button not enabled");
        pm.portWrite(0xB002, 2, AcpiPm.PWRBTN_STS);
        assertTrue(sci.level);
    }

    @Test
    void s5SleepRequestsPowerOff() {
        assertEquals(AcpiPm.SCI_EN, pm.portRead(0xB004, 2), "always in ACPI mode");
        pm.portWrite(0xB004, 2, 5 << 10 | 1 << 13); // SLP_TYP 5: not S5 on PIIX4
        assertTrue(power.events.isEmpty());
        pm.portWrite(0xB004, 2, AcpiPm.SCI_EN | 1 << 13); // SLP_TYP 0 + SLP_EN
        assertEquals(List.of("off: ACPI PM1 control: SLP_TYP 0 (S5) + SLP_EN"), power.events);
        assertEquals(0, pm.portRead(0xB004, 2) & 1 << 13, "SLP_EN reads 0");
    }

    @Test
    void gpeBlockIsPlainRegisters() {
        pm.portWrite(0xAFE2, 2, 0x0003);
        assertEquals(0x0003, pm.portRead(0xAFE2, 2));
        assertEquals(0, pm.portRead(0xAFE0, 2));
    }
}
