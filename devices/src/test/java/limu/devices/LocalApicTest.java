// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LocalApicTest {
    static final class Cpus implements IpiSink {
        final List<String> events = new ArrayList<>();
        int wakeups;

        @Override
        public void init(int apicId) {
            events.add("init " + apicId);
        }

        @Override
        public void startup(int apicId, int vector) {
            events.add(String.format("sipi %d %x", apicId, vector));
        }

        @Override
        public void interruptPending(int apicId) {
            wakeups++;
        }
    }

    private final ManualClock clock = new ManualClock();
    private final TimerQueue timers = new TimerQueue();
    private final ApicRouter router = new ApicRouter();
    private final Cpus cpus = new Cpus();
    private final TickRate tsc = new TickRate(1_000_000_000L);

    private LocalApic apic(int id, boolean x2apic) {
        LocalApic a = new LocalApic(id, id == 0, x2apic, clock, timers, router, cpus, tsc);
        router.add(a);
        return a;
    }

    private static int read(LocalApic a, int offset) {
        return (int) a.mmioRead(offset, 4);
    }

    private static void write(LocalApic a, int offset, int value) {
        a.mmioWrite(offset, 4, value & 0xFFFF_FFFFL);
    }

    private static void fixed(LocalApic a, int vector) {
        a.accept(new InterruptMessage(vector, DeliveryMode.FIXED, false, a.apicId(), false,
                InterruptMessage.Shorthand.NONE, false, -1));
    }

    private void advance(long nanos) {
        timers.advance(clock, clock.nanos() + nanos);
    }

    @Test
    void resetStateAsTheSdmSays() {
        LocalApic a = apic(0, false);
        assertEquals(0xFEE0_0900L, a.apicBase(), "base, enabled, BSP");
        assertEquals(0, read(a, LocalApic.ID));
        assertEquals(0x0005_0014, read(a, LocalApic.VER));
        assertEquals(0xFF, read(a, LocalApic.SVR));
        assertEquals(0xFFFF_FFFF, read(a, LocalApic.DFR));
        for (int lvt = LocalApic.LVT_TIMER; lvt <= LocalApic.LVT_ERROR; lvt += 0x10) {
            assertEquals(0x1_0000, read(a, lvt));
        }
        assertTrue(a.decodes(0xFEE0_0320L));
        assertFalse(a.decodes(0xFEE0_1000L));
        LocalApic ap = apic(1, false);
        assertEquals(0xFEE0_0800L, ap.apicBase());
        assertEquals(0x0100_0000, read(ap, LocalApic.ID));
        assertEquals(0, a.mmioRead(LocalApic.VER + 4, 4), "the rest of each 16 bytes reads 0");
        assertEquals(0x14, a.mmioRead(LocalApic.VER, 1));
    }

    @Test
    void softwareDisabledApicDeliversNothingAndForcesLvtMasks() {
        LocalApic a = apic(0, false);
        fixed(a, 0x40);
        assertEquals(-1, a.nextDeliverable());
        write(a, LocalApic.LVT_TIMER, 0x20);
        assertEquals(0x1_0020, read(a, LocalApic.LVT_TIMER));
        write(a, LocalApic.SVR, 0x1FF);
        assertEquals(0x40, a.nextDeliverable());
        write(a, LocalApic.LVT_TIMER, 0x20);
        assertEquals(0x20, read(a, LocalApic.LVT_TIMER));
        write(a, LocalApic.SVR, 0xFF);
        assertEquals(0x1_0020, read(a, LocalApic.LVT_TIMER));
    }

    @Test
    void priorityClassesTprPprAndIsrOrdering() {
        LocalApic a = apic(0, false);
        write(a, LocalApic.SVR, 0x1FF);
        fixed(a, 0x31);
        fixed(a, 0x52);
        fixed(a, 0x50);
        assertTrue(a.irrSet(0x52));
        assertEquals(1 << 17, read(a, LocalApic.IRR + 0x10) & 1 << 17, "vector 0x31: IRR word 1, bit 17");
        assertEquals(0x52, a.nextDeliverable(), "highest vector first");
        a.acknowledge(0x52);
        assertTrue(a.isrSet(0x52));
        assertEquals(0x50, read(a, LocalApic.PPR), "PPR = ISRV class");
        assertEquals(-1, a.nextDeliverable(), "0x50 is the same class as the 0x52 in service");
        write(a, LocalApic.EOI, 0);
        assertEquals(0x50, a.nextDeliverable());

        write(a, LocalApic.TPR, 0x5F);
        assertEquals(0x5F, read(a, LocalApic.PPR));
        assertEquals(-1, a.nextDeliverable(), "TPR class 5 blocks class 5 and below");
        write(a, LocalApic.TPR, 0x4F);
        assertEquals(0x50, a.nextDeliverable());
        a.acknowledge(0x50);
        assertEquals(0x50, read(a, LocalApic.PPR));
        fixed(a, 0x61);
        assertEquals(0x61, a.nextDeliverable(), "a higher class nests");
        a.acknowledge(0x61);
        write(a, LocalApic.EOI, 0);
        assertFalse(a.isrSet(0x61), "EOI retires the highest in service");
        assertTrue(a.isrSet(0x50));
        write(a, LocalApic.EOI, 0);
        write(a, LocalApic.TPR, 0);
        assertEquals(0x31, a.nextDeliverable());
        assertThrows(IllegalStateException.class, () -> a.acknowledge(0x99));
    }

    @Test
    void illegalVectorsAreReportedInEsr() {
        LocalApic a = apic(0, false);
        write(a, LocalApic.SVR, 0x1FF);
        write(a, LocalApic.LVT_ERROR, 0xFE);
        fixed(a, 0x05);
        assertFalse(a.irrSet(0x05));
        assertTrue(a.irrSet(0xFE), "error LVT fired");
        assertEquals(0, read(a, LocalApic.ESR), "errors become visible after a write to ESR");
        write(a, LocalApic.ESR, 0);
        assertEquals(LocalApic.ESR_RECEIVE_ILLEGAL_VECTOR, read(a, LocalApic.ESR));
        write(a, LocalApic.ICR_LOW, 0x0000_4004); // fixed IPI with vector 4
        write(a, LocalApic.ESR, 0);
        assertEquals(LocalApic.ESR_SEND_ILLEGAL_VECTOR, read(a, LocalApic.ESR));
        write(a, LocalApic.ESR, 0);
        assertEquals(0, read(a, LocalApic.ESR));
    }

    @Test
    void oneShotTimerCountsDownWithTheDivider() {
        LocalApic a = apic(0, false);
        write(a, LocalApic.SVR, 0x1FF);
        write(a, LocalApic.TIMER_DIVIDE, 0x3); // ÷16
        assertEquals(16, a.divisor());
        write(a, LocalApic.LVT_TIMER, 0x40);
        write(a, LocalApic.TIMER_INITIAL_COUNT, 1000);
        assertEquals(1000, read(a, LocalApic.TIMER_CURRENT_COUNT));
        advance(1600);
        assertEquals(900, read(a, LocalApic.TIMER_CURRENT_COUNT));
        assertFalse(a.irrSet(0x40));
        advance(16_000 - 1600 - 1);
        assertFalse(a.irrSet(0x40));
        advance(1);
        assertTrue(a.irrSet(0x40));
        assertEquals(0, read(a, LocalApic.TIMER_CURRENT_COUNT));
        assertEquals(1000, read(a, LocalApic.TIMER_INITIAL_COUNT));
        assertEquals(DeviceTimer.NEVER, timers.nextDeadline());
    }

    @Test
    void divideValues() {
        LocalApic a = apic(0, false);
        int[][] table = {{0x0, 2}, {0x1, 4}, {0x2, 8}, {0x3, 16}, {0x8, 32}, {0x9, 64}, {0xA, 128}, {0xB, 1}};
        for (int[] row : table) {
            write(a, LocalApic.TIMER_DIVIDE, row[0]);
            assertEquals(row[1], a.divisor());
            assertEquals(row[0], read(a, LocalApic.TIMER_DIVIDE));
        }
    }

    @Test
    void periodicTimerAsTheX2apicCrateProgramsIt() {
        LocalApic a = apic(0, false);
        // x2apic 0.5: LVT timer vector 0x21 periodic, divide ÷1, initial count 10,000,000, SVR enable.
        write(a, LocalApic.LVT_TIMER, 0x21 | 1 << 17);
        write(a, LocalApic.LVT_ERROR, 0x22);
        write(a, LocalApic.TIMER_DIVIDE, 0xB);
        write(a, LocalApic.TIMER_INITIAL_COUNT, 10_000_000);
        write(a, LocalApic.LVT_LINT0, 0);
        write(a, LocalApic.LVT_LINT1, 0);
        write(a, LocalApic.SVR, 0x120);
        write(a, LocalApic.LVT_TIMER, 0x21 | 1 << 17);
        int taken = 0;
        for (int ms = 1; ms <= 1000; ms++) {
            advance(1_000_000);
            if (a.nextDeliverable() == 0x21) {
                a.acknowledge(0x21);
                write(a, LocalApic.EOI, 0);
                taken++;
            }
        }
        assertEquals(100, taken, "10 ms period at 1 GHz: 100 interrupts in a virtual second");
        advance(2_500_000);
        assertEquals(7_500_000, read(a, LocalApic.TIMER_CURRENT_COUNT));
    }

    @Test
    void lateMachineMergesMissedPeriods() {
        LocalApic a = apic(0, false);
        enablePeriodicTimer(a);
        write(a, LocalApic.TIMER_INITIAL_COUNT, 100_000);
        clock.set(1_050_000);
        assertEquals(1, timers.runDue(clock.nanos()));
        assertEquals(1_100_000, timers.nextDeadline());
        assertEquals(50_000, read(a, LocalApic.TIMER_CURRENT_COUNT));
    }

    /**
     * A periodic timer with initial count 1 and divide 1 (a 1 ns period) interrupts at most once per
     * MIN_PERIODIC_INTERVAL_NANOS, so a handler has time to run and return, while the count still reads as the
     * programmed timer's.
     */
    @Test
    void aTinyPeriodIsMergedIntoTheShortestInterval() {
        LocalApic a = apic(0, false);
        enablePeriodicTimer(a);
        write(a, LocalApic.TIMER_INITIAL_COUNT, 1);
        int taken = 0;
        long lastDeadline = clock.nanos();
        for (int step = 0; step < 100_000; step++) {   // 1 ms in 10 ns steps
            advance(10);
            long deadline = timers.nextDeadline();
            assertTrue(deadline - lastDeadline >= DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS || deadline == lastDeadline
                    || lastDeadline == 0, "the timer wakes the machine at most every 10 us");
            lastDeadline = deadline;
            if (a.nextDeliverable() == 0x30) {
                a.acknowledge(0x30);
                write(a, LocalApic.EOI, 0);
                taken++;
            }
            assertEquals(1, read(a, LocalApic.TIMER_CURRENT_COUNT), "a count of 1 reloads every tick");
        }
        long most = 1_000_000 / DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS + 1;
        assertTrue(taken >= most - 2 && taken <= most, taken + " interrupts in 1 ms, about " + most);
    }

    @Test
    void aPeriodJustAboveTheShortestIntervalKeepsItsRate() {
        LocalApic a = apic(0, false);
        enablePeriodicTimer(a);
        write(a, LocalApic.TIMER_INITIAL_COUNT, (int) DeviceTimer.MIN_PERIODIC_INTERVAL_NANOS + 1_000);
        int taken = 0;
        for (int us = 0; us < 11_000; us++) {
            advance(1_000);
            if (a.nextDeliverable() == 0x30) {
                a.acknowledge(0x30);
                write(a, LocalApic.EOI, 0);
                taken++;
            }
        }
        assertEquals(1000, taken, "11 us period for 11 ms");
    }

    @Test
    void maskedTimerStillCountsButDoesNotInterrupt() {
        LocalApic a = apic(0, false);
        write(a, LocalApic.SVR, 0x1FF);
        write(a, LocalApic.TIMER_DIVIDE, 0xB);
        write(a, LocalApic.LVT_TIMER, 0x1_0030);
        write(a, LocalApic.TIMER_INITIAL_COUNT, 10);
        advance(5);
        assertEquals(5, read(a, LocalApic.TIMER_CURRENT_COUNT));
        advance(10);
        assertFalse(a.irrSet(0x30));
        write(a, LocalApic.TIMER_INITIAL_COUNT, 0);
        assertEquals(DeviceTimer.NEVER, timers.nextDeadline());
    }

    @Test
    void tscDeadlineMode() {
        LocalApic a = apic(0, false);
        write(a, LocalApic.SVR, 0x1FF);
        assertTrue(a.writeMsr(LocalApic.IA32_TSC_DEADLINE, 500));
        assertEquals(0, a.readMsr(LocalApic.IA32_TSC_DEADLINE).getAsLong(), "ignored outside TSC-deadline mode");
        write(a, LocalApic.LVT_TIMER, 0x33 | 2 << 17);
        write(a, LocalApic.TIMER_INITIAL_COUNT, 1234);
        assertEquals(0, read(a, LocalApic.TIMER_INITIAL_COUNT), "initial count ignored in TSC-deadline mode");
        a.writeMsr(LocalApic.IA32_TSC_DEADLINE, 5000);
        assertEquals(5000, a.readMsr(LocalApic.IA32_TSC_DEADLINE).getAsLong());
        advance(4999);
        assertFalse(a.irrSet(0x33));
        advance(1);
        assertTrue(a.irrSet(0x33));
        assertEquals(0, a.readMsr(LocalApic.IA32_TSC_DEADLINE).getAsLong(), "cleared when it fires");
        a.writeMsr(LocalApic.IA32_TSC_DEADLINE, 9000);
        write(a, LocalApic.LVT_TIMER, 0x33);
        assertEquals(DeviceTimer.NEVER, timers.nextDeadline(), "leaving TSC-deadline mode disarms");
    }

    @Test
    void ipisWithShorthandsAndDestinations() {
        LocalApic bsp = apic(0, false);
        LocalApic ap1 = apic(1, false);
        LocalApic ap2 = apic(2, false);
        for (LocalApic a : List.of(bsp, ap1, ap2)) {
            write(a, LocalApic.SVR, 0x1FF);
        }
        write(bsp, LocalApic.ICR_HIGH, 2 << 24);
        write(bsp, LocalApic.ICR_LOW, 0x4040);
        assertTrue(ap2.irrSet(0x40));
        assertFalse(ap1.irrSet(0x40));
        assertEquals(0, read(bsp, LocalApic.ICR_LOW) & LocalApic.ICR_DELIVERY_STATUS, "sent at once: idle");

        write(bsp, LocalApic.ICR_LOW, 0x4041 | 1 << 18); // self
        assertTrue(bsp.irrSet(0x41));
        assertFalse(ap1.irrSet(0x41));
        write(bsp, LocalApic.ICR_LOW, 0x4042 | 2 << 18); // all including self
        assertTrue(bsp.irrSet(0x42) && ap1.irrSet(0x42) && ap2.irrSet(0x42));
        write(bsp, LocalApic.ICR_LOW, 0x4043 | 3 << 18); // all excluding self
        assertTrue(!bsp.irrSet(0x43) && ap1.irrSet(0x43) && ap2.irrSet(0x43));
        write(bsp, LocalApic.ICR_HIGH, 0xFF << 24);
        write(bsp, LocalApic.ICR_LOW, 0x4044); // physical broadcast
        assertTrue(bsp.irrSet(0x44) && ap1.irrSet(0x44) && ap2.irrSet(0x44));

        // Logical, flat model: LDR bits.
        write(ap1, LocalApic.LDR, 0x0200_0000);
        write(ap2, LocalApic.LDR, 0x0400_0000);
        write(bsp, LocalApic.ICR_HIGH, 0x06 << 24);
        write(bsp, LocalApic.ICR_LOW, 0x4845);
        assertTrue(ap1.irrSet(0x45) && ap2.irrSet(0x45) && !bsp.irrSet(0x45));
        // Cluster model: cluster 1, members 0b0010.
        for (LocalApic a : List.of(bsp, ap1, ap2)) {
            write(a, LocalApic.DFR, 0x0FFF_FFFF);
        }
        write(ap1, LocalApic.LDR, 0x1200_0000);
        write(ap2, LocalApic.LDR, 0x2200_0000);
        write(bsp, LocalApic.ICR_HIGH, 0x12 << 24);
        write(bsp, LocalApic.ICR_LOW, 0x4846);
        assertTrue(ap1.irrSet(0x46) && !ap2.irrSet(0x46));
        assertEquals(0x0FFF_FFFF, read(ap1, LocalApic.DFR));
    }

    @Test
    void lowestPriorityGoesToTheLowestArbitrationPriority() {
        LocalApic a0 = apic(0, false);
        LocalApic a1 = apic(1, false);
        write(a0, LocalApic.SVR, 0x1FF);
        write(a1, LocalApic.SVR, 0x1FF);
        write(a0, LocalApic.LDR, 0x0100_0000);
        write(a1, LocalApic.LDR, 0x0200_0000);
        InterruptMessage m = new InterruptMessage(0x50, DeliveryMode.LOWEST_PRIORITY, true, 0x03, false,
                InterruptMessage.Shorthand.NONE, false, -1);
        router.deliver(m);
        assertTrue(a0.irrSet(0x50) && !a1.irrSet(0x50), "a tie goes to the first");
        write(a0, LocalApic.TPR, 0x80);
        router.deliver(new InterruptMessage(0x51, DeliveryMode.LOWEST_PRIORITY, true, 0x03, false,
                InterruptMessage.Shorthand.NONE, false, -1));
        assertTrue(a1.irrSet(0x51) && !a0.irrSet(0x51));
    }

    @Test
    void initAndStartupIpisReachTheCpus() {
        LocalApic bsp = apic(0, false);
        LocalApic ap = apic(3, false);
        write(ap, LocalApic.SVR, 0x1FF);
        write(ap, LocalApic.TPR, 0x20);
        write(bsp, LocalApic.ICR_HIGH, 3 << 24);
        write(bsp, LocalApic.ICR_LOW, 0x0000_C500); // INIT, level assert
        assertEquals(0xFF, read(ap, LocalApic.SVR), "INIT resets the APIC");
        assertEquals(0, read(ap, LocalApic.TPR));
        assertEquals(0x0300_0000, read(ap, LocalApic.ID), "but not its ID");
        write(bsp, LocalApic.ICR_LOW, 0x0000_8500); // INIT level de-assert: nothing
        write(bsp, LocalApic.ICR_LOW, 0x0000_4608); // SIPI vector 8
        write(bsp, LocalApic.ICR_LOW, 0x0000_4608);
        write(bsp, LocalApic.ICR_LOW, 0x0000_4400); // NMI
        assertEquals(List.of("init 3", "sipi 3 8", "sipi 3 8"), cpus.events);
        assertTrue(ap.takeNmi());
        assertFalse(ap.takeNmi());
    }

    @Test
    void levelTriggeredEoiIsBroadcastToTheIoApic() {
        LocalApic a = apic(0, false);
        write(a, LocalApic.SVR, 0x1FF);
        IoApic ioapic = new IoApic(router);
        router.add(ioapic);
        ioapic.writeRegister(0x10 + 2 * 9, 0xA060); // level, vector 0x60, dest 0
        ioapic.pin(9).set(true);
        assertEquals(0x60, a.nextDeliverable());
        assertTrue(a.tmrSet(0x60));
        a.acknowledge(0x60);
        write(a, LocalApic.EOI, 0);
        assertEquals(0x60, a.nextDeliverable(), "pin still asserted: delivered again after the EOI");
        a.acknowledge(0x60);
        ioapic.pin(9).set(false);
        write(a, LocalApic.EOI, 0);
        assertEquals(-1, a.nextDeliverable());
        assertEquals(0, ioapic.redirectionEntry(9) & IoApic.RTE_REMOTE_IRR);
    }

    @Test
    void lint0ExtIntAndLint1Nmi() {
        LocalApic a = apic(0, false);
        a.initialiseLikeLimine();
        assertEquals(0x1FF, read(a, LocalApic.SVR));
        assertEquals(0x400, read(a, LocalApic.LVT_LINT1));
        assertEquals(0x1_0000, read(a, LocalApic.LVT_LINT0));
        a.lint0().set(true);
        assertFalse(a.extIntPending(), "LINT0 masked");
        write(a, LocalApic.LVT_LINT0, 0x700);
        assertTrue(a.extIntPending());
        a.lint0().set(false);
        assertFalse(a.extIntPending());
        a.lint1().set(true);
        assertTrue(a.takeNmi());
        a.lint1().set(false);

        Pic8259 pic = new Pic8259(a.lint0());
        pic.portWrite(0x20, 1, 0x11);
        pic.portWrite(0x21, 1, 0x20);
        pic.portWrite(0x21, 1, 0x04);
        pic.portWrite(0x21, 1, 0x01);
        pic.portWrite(0x21, 1, 0xFE);
        InterruptLines.pulse(pic.irq(0));
        assertTrue(a.extIntPending());
        assertEquals(0x20, pic.acknowledge());
        assertFalse(a.extIntPending());
    }

    @Test
    void disabledApicPassesLintThrough() {
        LocalApic a = apic(0, false);
        assertTrue(a.writeMsr(LocalApic.IA32_APIC_BASE, 0xFEE0_0000L));
        assertFalse(a.hardwareEnabled());
        assertFalse(a.decodes(0xFEE0_0000L));
        a.lint0().set(true);
        assertTrue(a.extIntPending());
        a.lint1().set(true);
        assertTrue(a.takeNmi());
    }

    @Test
    void x2apicMsrRules() {
        LocalApic a = apic(5, true);
        assertTrue(a.readMsr(0x802).isEmpty(), "x2APIC MSRs #GP in xAPIC mode");
        assertFalse(a.writeMsr(LocalApic.IA32_APIC_BASE, 0xFEE0_0000L | LocalApic.BASE_EXTD), "EXTD without EN");
        assertTrue(a.writeMsr(LocalApic.IA32_APIC_BASE, a.apicBase() | LocalApic.BASE_EXTD), "as x2apic 0.5 does");
        assertTrue(a.x2apicMode());
        assertFalse(a.decodes(0xFEE0_0000L), "no MMIO in x2APIC mode");
        assertEquals(OptionalLong.of(5), a.readMsr(0x802));
        assertEquals(OptionalLong.of(0x0005_0014), a.readMsr(0x803));
        assertEquals(OptionalLong.of(1 << 5), a.readMsr(0x80D), "LDR: cluster 0, bit 5");
        assertTrue(a.readMsr(0x80E).isEmpty(), "no DFR");
        assertTrue(a.readMsr(0x80B).isEmpty(), "EOI is write-only");
        assertTrue(a.readMsr(0x831).isEmpty(), "no ICR high half");
        assertTrue(a.readMsr(0x809).isEmpty(), "no APR");
        assertTrue(a.readMsr(0x82F).isEmpty(), "no CMCI on a 6-LVT APIC");
        assertFalse(a.writeMsr(0x802, 1), "ID is read-only");
        assertFalse(a.writeMsr(0x80B, 1), "EOI takes only 0");
        assertFalse(a.writeMsr(0x808, 0x100), "TPR reserved bits");
        assertFalse(a.writeMsr(0x828, 1), "ESR takes only 0");
        assertFalse(a.writeMsr(0x839, 0), "current count is read-only");
        assertTrue(a.writeMsr(0x80F, 0x1FF));
        assertTrue(a.writeMsr(0x83F, 0x77));
        assertTrue(a.irrSet(0x77), "self-IPI");
        assertTrue(a.writeMsr(0x830, 0x0000_0005_0000_4078L));
        assertTrue(a.irrSet(0x78), "ICR as one 64-bit MSR, destination in the high half");
        assertEquals(OptionalLong.of(0x0000_0005_0000_4078L), a.readMsr(0x830));
        assertFalse(a.writeMsr(LocalApic.IA32_APIC_BASE, 0xFEE0_0000L | LocalApic.BASE_ENABLE),
                "x2APIC to xAPIC directly is #GP");
        assertTrue(a.writeMsr(LocalApic.IA32_APIC_BASE, 0xFEE0_0000L), "x2APIC to disabled is fine");
        assertFalse(a.writeMsr(LocalApic.IA32_APIC_BASE, 0xFEE0_0000L | LocalApic.BASE_ENABLE | LocalApic.BASE_EXTD),
                "disabled to x2APIC directly is #GP");
        assertFalse(a.writeMsr(LocalApic.IA32_APIC_BASE, 0xFEE0_0001L), "reserved bits");
        assertTrue(a.writeMsr(LocalApic.IA32_APIC_BASE, 0xFEF0_0000L | LocalApic.BASE_ENABLE));
        assertTrue(a.decodes(0xFEF0_0030L), "relocated window");

        LocalApic noX2 = apic(6, false);
        assertFalse(noX2.writeMsr(LocalApic.IA32_APIC_BASE, noX2.apicBase() | LocalApic.BASE_EXTD),
                "no x2APIC in CPUID");
    }

    @Test
    void x2apicTimerThroughMsrs() {
        LocalApic a = apic(0, true);
        a.writeMsr(LocalApic.IA32_APIC_BASE, a.apicBase() | LocalApic.BASE_EXTD);
        a.writeMsr(0x80F, 0x100);
        a.writeMsr(0x832, 0x21 | 1 << 17);
        a.writeMsr(0x83E, 0xB);
        a.writeMsr(0x838, 1000);
        advance(250);
        assertEquals(OptionalLong.of(750), a.readMsr(0x839));
        advance(750);
        assertTrue(a.irrSet(0x21));
        assertTrue(a.writeMsr(0x80B, 0));
    }

    @Test
    void stateRoundTripsAndRearmsTheTimer() {
        LocalApic a = apic(0, false);
        enablePeriodicTimer(a);
        write(a, LocalApic.TIMER_INITIAL_COUNT, 100);
        fixed(a, 0x80);
        advance(30);
        LocalApic.State s = a.state();
        TimerQueue otherTimers = new TimerQueue();
        LocalApic b = new LocalApic(0, true, false, clock, otherTimers, new ApicRouter(), IpiSink.NONE, tsc);
        b.restore(s);
        assertEquals(s, b.state());
        assertEquals(70, read(b, LocalApic.TIMER_CURRENT_COUNT));
        assertEquals(100, otherTimers.nextDeadline());
    }

    @Test
    void firmwareStateEnablesTheApicWithExtIntOnLint0AndNmiOnLint1() {
        LocalApic a = apic(0, false);
        a.initialiseLikeFirmware();
        assertEquals(0x10F, read(a, LocalApic.SVR));
        assertTrue(a.softwareEnabled());
        assertEquals(0x700, read(a, LocalApic.LVT_LINT0));
        assertEquals(0x400, read(a, LocalApic.LVT_LINT1));
        assertEquals(0x10000, read(a, LocalApic.LVT_TIMER));
    }

    @Test
    void describeShowsWhatTheGuestReadsInEitherMode() {
        LocalApic a = apic(1, true);
        a.initialiseLikeFirmware();
        write(a, LocalApic.TIMER_INITIAL_COUNT, 1234);
        fixed(a, 0x40);
        String xapic = a.describe();
        assertTrue(xapic.startsWith("local APIC: id 1, xAPIC, software-enabled, IA32_APIC_BASE 0xfee00800"), xapic);
        assertTrue(xapic.contains("SVR 0x10f TPR 0x0 PPR 0x0 ESR 0x0"), xapic);
        assertTrue(xapic.contains("LVT timer 0x10000 LINT0 0x700 LINT1 0x400 error 0x10000"), xapic);
        assertTrue(xapic.contains("timer initial 1234 current 1234 divide 0x0"), xapic);
        assertTrue(xapic.contains("IRR [64] ISR []"), xapic);
        a.writeMsr(LocalApic.IA32_APIC_BASE, a.apicBase() | LocalApic.BASE_EXTD);
        a.acknowledge(0x40);
        String x2apic = a.describe();
        assertTrue(x2apic.startsWith("local APIC: id 1, x2APIC, software-enabled"), x2apic);
        assertTrue(x2apic.contains("IRR [] ISR [64]"), x2apic);
        assertTrue(x2apic.contains("PPR 0x40"), x2apic);
    }

    /** APIC software-enabled (spurious vector 0xFF), timer divide by 1, LVT timer periodic on vector 0x30. */
    private static void enablePeriodicTimer(LocalApic a) {
        write(a, LocalApic.SVR, 0x1FF);
        write(a, LocalApic.TIMER_DIVIDE, 0xB);
        write(a, LocalApic.LVT_TIMER, 0x30 | 1 << 17);
    }
}
