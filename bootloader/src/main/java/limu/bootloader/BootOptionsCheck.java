// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

/**
 * Range checks on what the machine offers, before anything is placed; each message names the bad setting. The
 * memory size is checked by {@link RamLayout#forSize} and the framebuffer size by {@link FramebufferSize} itself.
 */
final class BootOptionsCheck {
    private BootOptionsCheck() {
    }

    static void check(BootOptions machine, BootVolume volume) throws BootException {
        int cpus = machine.cpus();
        if (cpus < 1 || cpus > BootOptions.MAX_CPUS) {
            throw new BootException("CPU count " + cpus + " is out of range: limu supports 1 to "
                    + BootOptions.MAX_CPUS + " CPUs");
        }
        if (machine.cmdline() == null || machine.framebuffer() == null || machine.modules() == null) {
            throw new BootException("the machine's cmdline, framebuffer and module list must not be null");
        }
        for (ModuleFile m : machine.modules()) {
            if (m == null || m.path() == null) {
                throw new BootException("module " + m + " has no path");
            }
            if (m.volumePath().equals("/")) {
                throw new BootException("module path '" + m.path() + "' has no file name");
            }
        }
        String kernelPath = volume.kernelPath().orElse(null);
        if (kernelPath != null && (kernelPath.isEmpty() || kernelPath.indexOf('\0') >= 0)) {
            throw new BootException("kernel path '" + kernelPath + "' is not a file path");
        }
        for (String t : machine.extraAcpiTables()) {
            if (!BootOptions.OPTIONAL_ACPI_TABLES.contains(t)) {
                throw new BootException("ACPI table '" + t + "' cannot be added; limu's optional tables: "
                        + String.join(", ", BootOptions.OPTIONAL_ACPI_TABLES).toLowerCase(java.util.Locale.ROOT));
            }
        }
        BootloaderTimes times = machine.bootloaderTimes();
        if (times.resetUsec() < 0 || times.initUsec() < times.resetUsec() || times.execUsec() < times.initUsec()) {
            throw new BootException("bootloader times " + times + " must satisfy 0 <= reset <= init <= exec");
        }
        DeviceAddresses devices = machine.deviceAddresses();
        long[] bases = {devices.localApic(), devices.ioApic(), devices.hpet()};
        String[] names = {"local APIC", "I/O APIC", "HPET"};
        for (int i = 0; i < bases.length; i++) {
            long base = bases[i];
            if (base < RamLayout.LOW_RAM_LIMIT || base > RamLayout.HIGH_RAM_BASE - DeviceAddresses.WINDOW
                    || base % DeviceAddresses.WINDOW != 0) {
                throw new BootException(names[i] + " address " + hex(base) + " must be 4 KiB aligned and between "
                        + hex(RamLayout.LOW_RAM_LIMIT) + " and " + hex(RamLayout.HIGH_RAM_BASE) + " (the PCI hole)");
            }
            for (int j = 0; j < i; j++) {
                if (bases[j] == base) {
                    throw new BootException(names[i] + " and " + names[j] + " share address " + hex(base));
                }
            }
        }
    }
}
