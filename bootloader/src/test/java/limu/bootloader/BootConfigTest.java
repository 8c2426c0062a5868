package limu.bootloader;

import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BootConfigTest {
    private static String failure(BootConfig cfg) {
        return assertThrows(BootException.class, () -> Booted.boot(new TestKernel().build(), cfg)).getMessage();
    }

    @Test
    void theFourArgumentConstructorIsAOneCpuPcWithADisplay() {
        BootConfig cfg = new BootConfig(64 * MIB, null, 7, true);
        assertEquals("", cfg.cmdline());
        assertEquals(1, cfg.cpus());
        assertEquals(Optional.of(new Framebuffer(1280, 800)), cfg.framebuffer());
        assertEquals(List.of(), cfg.modules());
        assertEquals(null, cfg.kernelPath());
        assertTrue(cfg.x2apicSupported());
        assertEquals(null, cfg.moduleResolver());
        assertEquals(new DeviceAddresses(0xFEE00000L, 0xFEC00000L, 0xFED00000L), cfg.devices());
        assertEquals(BootloaderTimes.DEFAULT, cfg.times());
        assertEquals(cfg.withCpus(4).withCpus(1), cfg);
    }

    @Test
    void badCpuCounts() {
        assertEquals("CPU count 0 is out of range: limu supports 1 to 64 CPUs",
                failure(Booted.config(64 * MIB).withCpus(0)));
        assertEquals("CPU count 65 is out of range: limu supports 1 to 64 CPUs",
                failure(Booted.config(64 * MIB).withCpus(65)));
    }

    @Test
    void badFramebufferSizes() {
        assertEquals("framebuffer 0x0 is out of range: limu supports 320x200 to 7680x4320",
                failure(Booted.config(64 * MIB).withFramebuffer(0, 0)));
        assertEquals("framebuffer 7681x4320 is out of range: limu supports 320x200 to 7680x4320",
                failure(Booted.config(64 * MIB).withFramebuffer(7681, 4320)));
        assertEquals("framebuffer 1280x100000 is out of range: limu supports 320x200 to 7680x4320",
                failure(Booted.config(64 * MIB).withFramebuffer(1280, 100000)));
    }

    @Test
    void badDeviceAddresses() throws Exception {
        assertEquals("HPET address 0x1000 must be 4 KiB aligned and between 0xc0000000 and 0x100000000 (the PCI hole)",
                failure(Booted.config(64 * MIB).withDevices(new DeviceAddresses(0xFEE00000L, 0xFEC00000L, 0x1000))));
        assertEquals("HPET and local APIC share address 0xfee00000",
                failure(Booted.config(64 * MIB).withDevices(new DeviceAddresses(0xFEE00000L, 0xFEC00000L,
                        0xFEE00000L))));
        // A device window where the framebuffer wants to be pushes it to the second spot.
        BootConfig moved = Booted.config(64 * MIB).withDevices(new DeviceAddresses(0xFEE00000L, 0xFD100000L,
                0xFED00000L));
        BootPlan plan = Booted.boot(new TestKernel().build(), moved).plan();
        assertEquals(0xE000_0000L, plan.framebuffer().orElseThrow().physicalAddress());
        assertEquals(moved.devices(), plan.devices());
    }

    @Test
    void badModulesAndTimes() {
        assertEquals("module path 'dir/' has no file name", failure(Booted.config(64 * MIB)
                .withModules(List.of(new ModuleFile("dir/", new byte[1], "")))));
        assertTrue(failure(Booted.config(64 * MIB).withTimes(new BootloaderTimes(10, 5, 20)))
                .endsWith("must satisfy 0 <= reset <= init <= exec"));
    }
}
