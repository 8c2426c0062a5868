// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import limu.devices.PortBus;
import org.junit.jupiter.api.Test;

class EngineBenchTest {
    @Test
    void portCounterCountsWritesToItsPortOnly() {
        PortCounter counter = new PortCounter(0x80);
        PortBus bus = new PortBus();
        bus.attach(counter);
        PortBusHooks hooks = new PortBusHooks(bus);
        assertFalse(hooks.portOut(0x80, 1, 1));
        assertFalse(hooks.portOut(0x81, 1, 1));
        assertEquals(1, counter.writes());
        assertEquals(0, hooks.portIn(0x80, 1));
        assertEquals(0xFFFF, hooks.portIn(0x81, 2), "no device: all ones");
        counter.reset();
        assertEquals(0, counter.writes());
    }

    @Test
    void everyGuestOutReachesTheDeviceAndEveryInt3IsDelivered() {
        EngineBench bench = new EngineBench(1);
        EngineBench.Comparison out = bench.portWrites(1000);
        assertEquals(1000, out.seen());
        EngineBench.Comparison int3 = bench.exceptionDelivery(500);
        assertEquals(500, int3.seen());
        assertTrue(bench.bareLoop(1000) >= 0);
    }

    @Test
    void medianOfEvenAndOddCounts() {
        assertEquals(2.0, EngineBench.median(new double[] {3, 1, 2}));
        assertEquals(2.5, EngineBench.median(new double[] {4, 1, 3, 2}));
    }
}
