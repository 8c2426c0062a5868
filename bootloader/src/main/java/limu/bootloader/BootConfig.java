package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.util.List;
import java.util.Optional;

/**
 * What the machine offers the kernel. Components are normalised (null strings and lists become empty, null
 * records their defaults) but not range-checked here: {@link LimineBoot#load} calls {@link #check()} and reports
 * a bad machine as a {@link BootException}.
 *
 * @param memoryBytes      guest RAM size (see {@link RamLayout#forSize} for the accepted sizes)
 * @param cmdline          the executable command line (Executable Cmdline request, Executable File string)
 * @param bootEpochSeconds UNIX time reported by the Date At Boot request
 * @param fiveLevelPaging  whether the CPU offers 5-level paging (LA57); the kernel gets it only if it asks
 * @param cpus             number of CPUs, 1–{@value #MAX_CPUS}; CPU {@code i} has local APIC ID and ACPI UID
 *                         {@code i}, CPU 0 is the BSP
 * @param framebuffer      the display, if the machine has one (a framebuffer is then always placed and listed in
 *                         the memory map; the Framebuffer request reports it)
 * @param modules          modules from the machine configuration, in order (after the kernel's internal modules)
 * @param kernelPath       the kernel's path on the boot volume, e.g. {@code /boot/kernel.elf}; null means
 *                         {@code "/" +} the file name given to {@link LimineBoot#load}
 * @param x2apicSupported  whether the CPUs offer x2APIC mode (the MP request may then enable it)
 * @param moduleResolver   reads internal modules from the boot volume; null means none can be found
 * @param devices          MMIO addresses of the LAPIC, I/O APIC and HPET, as described in the ACPI tables
 * @param times            the Bootloader Performance request's values
 */
public record BootConfig(long memoryBytes, String cmdline, long bootEpochSeconds, boolean fiveLevelPaging, int cpus,
                         Optional<Framebuffer> framebuffer, List<ModuleFile> modules, String kernelPath,
                         boolean x2apicSupported, ModuleResolver moduleResolver, DeviceAddresses devices,
                         BootloaderTimes times) {
    public static final int MAX_CPUS = 64;

    public BootConfig {
        cmdline = cmdline == null ? "" : cmdline;
        framebuffer = framebuffer == null ? Optional.empty() : framebuffer;
        modules = modules == null ? List.of() : List.copyOf(modules);
        devices = devices == null ? DeviceAddresses.DEFAULT : devices;
        times = times == null ? BootloaderTimes.DEFAULT : times;
    }

    /**
     * A one-CPU PC with a {@link Framebuffer#DEFAULT} display, x2APIC support, no modules and the default device
     * addresses.
     */
    public BootConfig(long memoryBytes, String cmdline, long bootEpochSeconds, boolean fiveLevelPaging) {
        this(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, 1, Optional.of(Framebuffer.DEFAULT), List.of(),
                null, true, null, DeviceAddresses.DEFAULT, BootloaderTimes.DEFAULT);
    }

    /** {@link #BootConfig(long, String, long, boolean)} with an empty cmdline, time 0 and 4-level paging only. */
    public static BootConfig of(long memoryBytes) {
        return new BootConfig(memoryBytes, "", 0, false);
    }

    public BootConfig withCmdline(String value) {
        return new BootConfig(memoryBytes, value, bootEpochSeconds, fiveLevelPaging, cpus, framebuffer, modules,
                kernelPath, x2apicSupported, moduleResolver, devices, times);
    }

    public BootConfig withBootEpochSeconds(long value) {
        return new BootConfig(memoryBytes, cmdline, value, fiveLevelPaging, cpus, framebuffer, modules,
                kernelPath, x2apicSupported, moduleResolver, devices, times);
    }

    public BootConfig withFiveLevelPaging(boolean value) {
        return new BootConfig(memoryBytes, cmdline, bootEpochSeconds, value, cpus, framebuffer, modules,
                kernelPath, x2apicSupported, moduleResolver, devices, times);
    }

    public BootConfig withCpus(int value) {
        return new BootConfig(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, value, framebuffer, modules,
                kernelPath, x2apicSupported, moduleResolver, devices, times);
    }

    /** {@code null} or empty: no display. */
    public BootConfig withFramebuffer(Optional<Framebuffer> value) {
        return new BootConfig(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, cpus, value, modules,
                kernelPath, x2apicSupported, moduleResolver, devices, times);
    }

    public BootConfig withFramebuffer(int width, int height) {
        return withFramebuffer(Optional.of(new Framebuffer(width, height)));
    }

    public BootConfig withoutFramebuffer() {
        return withFramebuffer(Optional.empty());
    }

    public BootConfig withModules(List<ModuleFile> value) {
        return new BootConfig(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, cpus, framebuffer, value,
                kernelPath, x2apicSupported, moduleResolver, devices, times);
    }

    public BootConfig withKernelPath(String value) {
        return new BootConfig(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, cpus, framebuffer, modules,
                value, x2apicSupported, moduleResolver, devices, times);
    }

    public BootConfig withX2apicSupported(boolean value) {
        return new BootConfig(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, cpus, framebuffer, modules,
                kernelPath, value, moduleResolver, devices, times);
    }

    public BootConfig withModuleResolver(ModuleResolver value) {
        return new BootConfig(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, cpus, framebuffer, modules,
                kernelPath, x2apicSupported, value, devices, times);
    }

    public BootConfig withDevices(DeviceAddresses value) {
        return new BootConfig(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, cpus, framebuffer, modules,
                kernelPath, x2apicSupported, moduleResolver, value, times);
    }

    public BootConfig withTimes(BootloaderTimes value) {
        return new BootConfig(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, cpus, framebuffer, modules,
                kernelPath, x2apicSupported, moduleResolver, devices, value);
    }

    /** Checks everything but the memory size (see {@link RamLayout#forSize}); the message names the bad setting. */
    public void check() throws BootException {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new BootException("CPU count " + cpus + " is out of range: limu supports 1 to " + MAX_CPUS
                    + " CPUs");
        }
        if (framebuffer.isPresent()) {
            Framebuffer fb = framebuffer.get();
            if (fb.width() < Framebuffer.MIN_WIDTH || fb.height() < Framebuffer.MIN_HEIGHT
                    || fb.width() > Framebuffer.MAX_WIDTH || fb.height() > Framebuffer.MAX_HEIGHT) {
                throw new BootException("framebuffer " + fb.width() + "x" + fb.height() + " is out of range: limu"
                        + " supports " + Framebuffer.MIN_WIDTH + "x" + Framebuffer.MIN_HEIGHT + " to "
                        + Framebuffer.MAX_WIDTH + "x" + Framebuffer.MAX_HEIGHT);
            }
        }
        for (ModuleFile m : modules) {
            if (m == null || m.path() == null || m.bytes() == null) {
                throw new BootException("module " + (m == null ? "null" : m.path()) + " has no path or no contents");
            }
            if (VolumePath.ofFileName(m.path()).equals("/")) {
                throw new BootException("module path '" + m.path() + "' has no file name");
            }
        }
        if (kernelPath != null && (kernelPath.isEmpty() || kernelPath.indexOf('\0') >= 0)) {
            throw new BootException("kernel path '" + kernelPath + "' is not a file path");
        }
        if (times.resetUsec() < 0 || times.initUsec() < times.resetUsec() || times.execUsec() < times.initUsec()) {
            throw new BootException("bootloader times " + times + " must satisfy 0 <= reset <= init <= exec");
        }
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
