// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootOptionsTest {
    private static String failure(TestMachine machine) {
        return assertThrows(BootException.class, () -> Booted.boot(new TestKernel().build(), machine)).getMessage();
    }

    /** Only what every machine must say; the rest is a PC's unless a configuration says otherwise. */
    private record Minimal(long memoryBytes) implements BootOptions {
        public int cpus() {
            return 1;
        }

        public String cmdline() {
            return "";
        }

        public long bootEpochSeconds() {
            return 0;
        }

        public boolean fiveLevelPaging() {
            return false;
        }

        public Optional<FramebufferSize> framebuffer() {
            return Optional.empty();
        }

        public List<ModuleFile> modules() {
            return List.of();
        }

        public boolean x2apic() {
            return true;
        }
    }

    @Test
    void devicesAndTimesDefaultToAPcs() throws Exception {
        Minimal machine = new Minimal(64 * MIB);
        assertEquals(new DeviceAddresses(0xFEE00000L, 0xFEC00000L, 0xFED00000L), machine.deviceAddresses());
        assertEquals(new BootloaderTimes(0, 100_000, 150_000), machine.bootloaderTimes());
        BootPlan plan = LimineBoot.load(new TestKernel().build(), "kernel.elf", machine, BootVolume.NONE,
                SparseMemory.filled(64 * MIB, 0));
        assertEquals(machine.deviceAddresses(), plan.devices());
        assertTrue(plan.framebuffer().isEmpty());
    }

    @Test
    void badCpuCounts() {
        assertEquals("CPU count 0 is out of range: limu supports 1 to 64 CPUs",
                failure(Booted.config(64 * MIB).cpus(0)));
        assertEquals("CPU count 65 is out of range: limu supports 1 to 64 CPUs",
                failure(Booted.config(64 * MIB).cpus(65)));
    }

    @Test
    void framebufferSizesAreParsedAndBounded() {
        assertEquals(new FramebufferSize(1024, 768), FramebufferSize.parse("1024x768"));
        assertEquals(4096, new FramebufferSize(1024, 768).pitch());
        assertEquals(4096L * 768, new FramebufferSize(1024, 768).byteSize());
        assertThrows(IllegalArgumentException.class, () -> FramebufferSize.parse("big"));
        assertEquals("framebuffer 0x0 is out of range: 320x200 to 7680x4320",
                assertThrows(IllegalArgumentException.class, () -> FramebufferSize.parse("0x0")).getMessage());
        assertEquals("framebuffer 7681x4320 is out of range: 320x200 to 7680x4320",
                assertThrows(IllegalArgumentException.class, () -> new FramebufferSize(7681, 4320)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> FramebufferSize.parse("99999x10"));
        assertThrows(IllegalArgumentException.class, () -> new FramebufferSize(1280, 199));
    }

    @Test
    void badDeviceAddresses() throws Exception {
        assertEquals("HPET address 0x1000 must be 4 KiB aligned and between 0xc0000000 and 0x100000000 (the PCI hole)",
                failure(Booted.config(64 * MIB).deviceAddresses(new DeviceAddresses(0xFEE00000L, 0xFEC00000L,
                        0x1000))));
        assertEquals("HPET and local APIC share address 0xfee00000",
                failure(Booted.config(64 * MIB).deviceAddresses(new DeviceAddresses(0xFEE00000L, 0xFEC00000L,
                        0xFEE00000L))));
        // A device window where the framebuffer wants to be pushes it to the second spot.
        TestMachine moved = Booted.config(64 * MIB).deviceAddresses(new DeviceAddresses(0xFEE00000L, 0xFD100000L,
                0xFED00000L));
        BootPlan plan = Booted.boot(new TestKernel().build(), moved).plan();
        assertEquals(0xE000_0000L, plan.framebuffer().orElseThrow().physicalAddress());
        assertEquals(moved.deviceAddresses(), plan.devices());
    }

    @Test
    void badModulesAndTimes(@TempDir Path tmp) {
        assertEquals("module path '/' has no file name", failure(Booted.config(64 * MIB)
                .modules(List.of(new ModuleFile(Path.of("/"), "")))));
        Path absent = tmp.resolve("absent.bin");
        assertEquals("module " + absent + ": no such file", failure(Booted.config(64 * MIB)
                .modules(List.of(new ModuleFile(absent, "")))));
        assertTrue(failure(Booted.config(64 * MIB).bootloaderTimes(new BootloaderTimes(10, 5, 20)))
                .endsWith("must satisfy 0 <= reset <= init <= exec"));
    }

    @Test
    void moduleArgumentsSplitAtTheFirstComma() {
        assertEquals(new ModuleFile(Path.of("initrd.tar"), "root=ram,quiet"),
                ModuleFile.parse("initrd.tar,root=ram,quiet"));
        assertEquals(new ModuleFile(Path.of("dir/font.psf"), ""), ModuleFile.parse("dir/font.psf"));
        assertEquals("/font.psf", ModuleFile.parse("dir/font.psf").volumePath());
    }
}
