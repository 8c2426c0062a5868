// SPDX-License-Identifier: GPL-2.0-or-later
package limu.example;

import limu.devices.*;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScratchDeviceTest {
    private final ManualClock clock = new ManualClock(1234);
    /** An interrupt line that records its level and rising edges. */
    static final class Line implements InterruptLine {
        int edges;
        boolean level;

        @Override
        public void set(boolean high) {
            if (high && !level) {
                edges++;
            }
            level = high;
        }
    }

    private final Line irq = new Line();
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();

    private final DeviceContext context = new DeviceContext() {
        @Override
        public VirtualTime time() {
            return clock;
        }

        @Override
        public TimerScheduler timers() {
            return new TimerQueue();
        }

        @Override
        public InterruptLine isaIrq(int n) {
            return irq;
        }

        @Override
        public InterruptLine gsi(int gsi) {
            return irq;
        }

        @Override
        public OutputStream console() {
            return console;
        }

        @Override
        public OutputStream openOutput(String path) {
            return console;
        }

        @Override
        public PowerListener power() {
            return PowerListener.IGNORE;
        }
    };

    @Test
    void registersThroughTheMmioBus() {
        MmioBus bus = new MmioBus();
        Device device = new ScratchDeviceProvider().create(context, Map.of("base", "0xFEBF0000", "irq", "5"));
        bus.attach(device);
        long base = 0xFEBF_0000L;
        assertEquals(0x5343_5254L, bus.read(base, 4));
        assertEquals(1, bus.read(base + 4, 4));
        bus.write(base + 8, 4, 0xCAFE_F00DL);
        assertEquals(0xCAFE_F00DL, bus.read(base + 8, 4));
        assertEquals(0xF00D, bus.read(base + 8, 2));
        bus.write(base + 0x10, 8, 40);
        bus.write(base + 0x18, 8, 2);
        assertEquals(42, bus.read(base + 0x10, 8));
        assertEquals(1234, bus.read(base + 0x20, 8));
        bus.write(base + 0x28, 4, 1);
        assertTrue(irq.level);
        bus.write(base + 0x28, 4, 0);
        bus.write(base + 0x100, 8, 0x0807_0605_0403_0201L);
        assertEquals(0x0504, bus.read(base + 0x103, 2));
        assertEquals(13, bus.read(base + 0x30, 8), "thirteen accesses before this one");
        ScratchDevice scratch = (ScratchDevice) device;
        ScratchDevice.State s = scratch.state();
        scratch.reset();
        assertEquals(0, bus.read(base + 0x10, 8));
        scratch.restore(s);
        assertEquals(42, bus.read(base + 0x10, 8));
    }

    @Test
    void providersAreFoundWithServiceLoader() {
        DeviceProviders providers = DeviceProviders.load(getClass().getClassLoader());
        assertEquals(List.of("isa-debugcon", "isa-serial", "scratch"),
                providers.all().stream().map(DeviceProvider::name).toList());
        Device com2 = providers.named("isa-serial").orElseThrow().create(context, Map.of());
        assertInstanceOf(Serial16550.class, com2);
        assertEquals(List.of(new PortRange(0x2F8, 8)), com2.ports());
        assertTrue(providers.named("nope").isEmpty());
    }

    @Test
    void badOptionsGiveUserMessages() {
        DeviceProvider p = new ScratchDeviceProvider();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.create(context, Map.of("bsae", "1")));
        assertEquals("device scratch: unknown option bsae (known: base, irq, name)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p.create(context, Map.of("irq", "x")));
        assertEquals("device scratch: irq=x is not a number", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p.create(context, Map.of("base", "0x1234")));
        assertEquals("device scratch: base 0x1234 is not 4 KiB aligned", e.getMessage());
    }
}
