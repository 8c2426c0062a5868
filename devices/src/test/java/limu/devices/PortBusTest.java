// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PortBusTest {
    /** Remembers the accesses it gets and answers reads with a fixed value. */
    static final class Probe implements Device {
        final String name;
        final List<PortRange> ranges;
        final List<String> log = new ArrayList<>();
        int resets;

        Probe(String name, PortRange... ranges) {
            this.name = name;
            this.ranges = List.of(ranges);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<PortRange> ports() {
            return ranges;
        }

        @Override
        public int portRead(int port, int size) {
            log.add(String.format("in%d %x", size, port));
            return 0xDEAD_BEEF;
        }

        @Override
        public void portWrite(int port, int size, int value) {
            log.add(String.format("out%d %x %x", size, port, value));
        }

        @Override
        public void reset() {
            resets++;
        }
    }

    private final PortBus bus = new PortBus();

    @Test
    void routesAccessesToTheOwner() {
        Probe a = new Probe("a", new PortRange(0x60, 1), new PortRange(0x64, 1));
        Probe b = new Probe("b", new PortRange(0x70, 2));
        bus.attach(a);
        bus.attach(b);

        assertEquals(0xEF, bus.read(0x60, 1), "results are cut to the access size");
        assertEquals(0xBEEF, bus.read(0x64, 2));
        assertEquals(0xDEAD_BEEF, bus.read(0x71, 4));
        bus.write(0x70, 1, 0x1234);
        bus.write(0x64, 2, 0x5678_9ABC);

        assertEquals(List.of("in1 60", "in2 64", "out2 64 9abc"), a.log);
        assertEquals(List.of("in4 71", "out1 70 34"), b.log);
        assertSame(b, bus.deviceAt(0x71).orElseThrow());
        assertTrue(bus.deviceAt(0x62).isEmpty());
        assertEquals(List.of(a, b), bus.devices());
        assertTrue(bus.unclaimedAccesses().isEmpty());
    }

    @Test
    void wideAccessGoesToTheOwnerOfItsFirstPort() {
        Probe p = new Probe("p", new PortRange(0x3FF, 1));
        bus.attach(p);
        bus.write(0x3FF, 4, 7);
        assertEquals(List.of("out4 3ff 7"), p.log);
        assertEquals(0xFF, bus.read(0x3FE, 1));
        assertEquals(0xFFFF, bus.read(0x3FE, 2), "an access starting on a free port is unclaimed");
    }

    @Test
    void unclaimedPortsReadAllOnesAndAreCounted() {
        assertEquals(0xFF, bus.read(0x3F8, 1));
        assertEquals(0xFFFF, bus.read(0x3F8, 2));
        assertEquals(0xFFFF_FFFF, bus.read(0xCFC, 4));
        bus.write(0x80, 1, 0);
        bus.write(0x80, 1, 0);
        bus.write(0xFFFF, 4, 0);

        assertEquals(Map.of(0x3F8, 2L, 0xCFC, 1L, 0x80, 2L, 0xFFFF, 1L), bus.unclaimedAccesses());
        assertEquals(List.of(0x80, 0x3F8, 0xCFC, 0xFFFF), List.copyOf(bus.unclaimedAccesses().keySet()));
    }

    @Test
    void overlappingRangesAreRejected() {
        Serial16550 com1 = new Serial16550(Serial16550.COM1, new ByteArrayOutputStream(), InterruptLine.DISCONNECTED);
        bus.attach(com1);
        Probe intruder = new Probe("intruder", new PortRange(0x100, 1), new PortRange(0x3FC, 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bus.attach(intruder));
        assertEquals("cannot attach intruder at ports 0x3fc-0x403: port 0x3fc already belongs to com1",
                e.getMessage());
        assertTrue(bus.deviceAt(0x100).isEmpty(), "a rejected device gets no ports at all");
        assertTrue(bus.deviceAt(0x400).isEmpty());

        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> bus.attach(com1));
        assertTrue(twice.getMessage().contains("already attached"));

        Probe selfOverlap = new Probe("self", new PortRange(0x10, 4), new PortRange(0x12, 1));
        IllegalArgumentException own = assertThrows(IllegalArgumentException.class, () -> bus.attach(selfOverlap));
        assertEquals("cannot attach self: its port ranges 0x10-0x13 and 0x12-0x12 overlap", own.getMessage());
        assertTrue(bus.deviceAt(0x10).isEmpty());
    }

    @Test
    void detachFreesThePorts() {
        Probe p = new Probe("p", new PortRange(0x40, 4));
        bus.attach(p);
        assertTrue(bus.detach(p));
        assertFalse(bus.detach(p));
        assertEquals(0xFF, bus.read(0x41, 1));
        bus.attach(new Probe("q", new PortRange(0x42, 1)));
        assertEquals(0xEF, bus.read(0x42, 1));
    }

    @Test
    void badPortsAndSizesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> bus.read(0x10000, 1));
        assertThrows(IllegalArgumentException.class, () -> bus.read(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> bus.write(0x80, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> bus.read(0x80, 8));
    }

    @Test
    void resetDevicesResetsEach() {
        Probe a = new Probe("a", new PortRange(1, 1));
        Probe b = new Probe("b", new PortRange(2, 1));
        bus.attach(a);
        bus.attach(b);
        bus.resetDevices();
        assertEquals(1, a.resets);
        assertEquals(1, b.resets);
    }

    @Test
    void theStandardPcDevicesTogether() {
        ByteArrayOutputStream serialOut = new ByteArrayOutputStream();
        ByteArrayOutputStream debugOut = new ByteArrayOutputStream();
        List<Integer> exits = new ArrayList<>();
        Serial16550 com1 = new Serial16550(Serial16550.COM1, serialOut, InterruptLine.DISCONNECTED);
        DebugConsole debugcon = new DebugConsole(debugOut);
        DebugExit exit = new DebugExit((status, raw) -> exits.add(status));
        bus.attach(com1);
        bus.attach(debugcon);
        bus.attach(exit);

        assertEquals(0x60, bus.read(0x3FD, 1));
        bus.write(0x3F8, 1, 'S');
        assertEquals(0xE9, bus.read(0xE9, 1));
        bus.write(0xE9, 1, 'D');
        bus.write(0xF4, 4, 0x10);
        com1.flush();
        debugcon.flush();

        assertEquals("S", serialOut.toString());
        assertEquals("D", debugOut.toString());
        assertEquals(List.of(33), exits);
        assertEquals(0, bus.read(0xF6, 2));
    }
}
