// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MmioBusTest {
    static final class Probe implements Device {
        final String name;
        final List<MmioRange> ranges;
        final List<String> log = new ArrayList<>();

        Probe(String name, MmioRange... ranges) {
            this.name = name;
            this.ranges = List.of(ranges);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<MmioRange> mmio() {
            return ranges;
        }

        @Override
        public long mmioRead(long offset, int size) {
            log.add(String.format("r%d %x", size, offset));
            return 0x1122_3344_5566_7788L;
        }

        @Override
        public void mmioWrite(long offset, int size, long value) {
            log.add(String.format("w%d %x %x", size, offset, value));
        }

        @Override
        public void reset() {
        }
    }

    private final MmioBus bus = new MmioBus();

    @Test
    void routesWithOffsetsFromTheFirstWindow() {
        Probe p = new Probe("p", new MmioRange(0xFED0_0000L, 0x1000), new MmioRange(0xFED0_2000L, 0x10));
        bus.attach(p);
        assertEquals(0x88, bus.read(0xFED0_0010L, 1));
        assertEquals(0x1122_3344_5566_7788L, bus.read(0xFED0_2008L, 8));
        bus.write(0xFED0_0F00L, 4, 0xAABB_CCDD_EEFFL);
        assertEquals(List.of("r1 10", "r8 2008", "w4 f00 ccddeeff"), p.log);
        assertTrue(bus.claims(0xFED0_0FFFL));
        assertFalse(bus.claims(0xFED0_1000L));
        assertEquals(p, bus.deviceAt(0xFED0_200FL).orElseThrow());
    }

    @Test
    void unclaimedAccessesReadAllOnesAndAreCounted() {
        assertEquals(0xFFFF_FFFFL, bus.read(0xFEB0_0000L, 4));
        assertEquals(-1L, bus.read(0xFEB0_0000L, 8));
        bus.write(0x1234, 2, 0);
        assertEquals(Map.of(0xFEB0_0000L, 2L, 0x1234L, 1L), bus.unclaimedAccesses());
        assertThrows(IllegalArgumentException.class, () -> bus.read(0, 3));
    }

    @Test
    void overlapsAreRejected() {
        bus.attach(new Probe("hpet", new MmioRange(0xFED0_0000L, 0x1000)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bus.attach(new Probe("x", new MmioRange(0xFECF_F000L, 0x1001))));
        assertEquals("cannot attach x at 0xfecff000-0xfed00000: it overlaps 0xfed00000-0xfed00fff of hpet",
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> bus.attach(new Probe("self", new MmioRange(0, 0x10), new MmioRange(8, 8))));
        assertFalse(bus.claims(0));
        Probe q = new Probe("q", new MmioRange(0x1000, 0x10));
        bus.attach(q);
        assertTrue(bus.detach(q));
        assertFalse(bus.claims(0x1000));
    }
}
