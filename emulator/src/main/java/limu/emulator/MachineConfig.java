// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import limu.bootloader.BootOptions;
import limu.bootloader.FramebufferSize;
import limu.bootloader.ModuleFile;

/**
 * Everything that shapes one machine: what the command line, a test or an API
 * user decides before boot. Build one with {@link #builder(OutputStream)}. The
 * part the bootloader reads is {@link BootOptions}, which this implements, so
 * the bootloader reads this very value.
 *
 * @param memoryBytes guest RAM
 * @param cpus number of CPUs (the BSP and cpus - 1 APs)
 * @param cmdline the executable cmdline handed to the kernel
 * @param bootEpochSeconds the "date at boot" (UNIX seconds)
 * @param fiveLevelPaging whether a kernel that asks for 5-level paging gets it
 * @param framebuffer the display's resolution; empty for a machine without one
 * @param modules files handed to the kernel through the module request
 * @param x2apic whether the CPUs have an x2APIC (CPUID.1:ECX[21]; the MP request's x2APIC flag)
 * @param timeout wall-clock limit of a run; empty for none
 * @param serialOutput where COM1's transmitted bytes go
 * @param debugconOutput where port 0xE9 bytes go
 * @param flushEachLine flush the outputs at each newline (interactive use)
 * @param unicornLibrary an explicit libunicorn to use instead of the default search
 * @param countInstructions count every guest instruction (slower; for measurements)
 * @param wallClock virtual time follows the host clock (interactive use) instead of guest work
 * @param devices plug-in devices to attach (found with ServiceLoader)
 * @param kaslrSeed with a value, a relocatable kernel is slid as Limine's KASLR slides it, from this seed
 * @param entropySeed seeds the values the entropy request hands out
 * @param extraAcpiTables optional ACPI tables added after QEMU's set, by signature (upper case)
 * @param moduleDirs host folders searched for the kernel's internal modules after the kernel's own folder
 */
public record MachineConfig(long memoryBytes, int cpus, String cmdline, long bootEpochSeconds,
                            boolean fiveLevelPaging, Optional<FramebufferSize> framebuffer, List<ModuleFile> modules,
                            boolean x2apic, Optional<Duration> timeout, OutputStream serialOutput,
                            OutputStream debugconOutput, boolean flushEachLine, Optional<Path> unicornLibrary,
                            boolean countInstructions, boolean wallClock, List<DeviceSpec> devices,
                            OptionalLong kaslrSeed, long entropySeed, List<String> extraAcpiTables,
                            List<Path> moduleDirs)
        implements BootOptions {
    public static final long DEFAULT_MEMORY = 256L << 20;

    public MachineConfig {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("--cpus " + cpus + " is out of range: 1 to " + MAX_CPUS);
        }
        cmdline = cmdline == null ? "" : cmdline;
        modules = List.copyOf(modules);
        devices = List.copyOf(devices);
        moduleDirs = moduleDirs == null ? List.of() : List.copyOf(moduleDirs);
        kaslrSeed = kaslrSeed == null ? OptionalLong.empty() : kaslrSeed;
        extraAcpiTables = extraAcpiTables == null ? List.of()
                : extraAcpiTables.stream().map(t -> t.toUpperCase(java.util.Locale.ROOT)).distinct().toList();
    }

    /** The TSC frequency request reports the virtual TSC's rate. */
    @Override
    public long tscHz() {
        return VirtualClock.TSC_HZ;
    }

    /** A plug-in device to attach: {@code NAME[,key=value...]}, as the --device option takes it. */
    public record DeviceSpec(String name, java.util.Map<String, String> options) {
        public DeviceSpec {
            options = java.util.Map.copyOf(options);
        }

        public static DeviceSpec parse(String text) {
            String[] parts = text.split(",");
            java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
            for (int i = 1; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--device " + text + ": '" + parts[i]
                            + "' is not key=value");
                }
                options.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
            }
            if (parts[0].isBlank()) {
                throw new IllegalArgumentException("--device needs a device name (limu devices lists them)");
            }
            return new DeviceSpec(parts[0], options);
        }
    }

    public static Builder builder(OutputStream output) {
        return new Builder(output);
    }

    /** 256 MiB, one CPU, a 1280x800 framebuffer, empty cmdline, no timeout, serial and debugcon to {@code output}. */
    public static MachineConfig defaults(OutputStream output) {
        return builder(output).build();
    }

    public Builder toBuilder() {
        Builder b = new Builder(serialOutput);
        b.memoryBytes = memoryBytes;
        b.cpus = cpus;
        b.cmdline = cmdline;
        b.bootEpochSeconds = bootEpochSeconds;
        b.fiveLevelPaging = fiveLevelPaging;
        b.framebuffer = framebuffer;
        b.modules = modules;
        b.x2apic = x2apic;
        b.timeout = timeout;
        b.debugconOutput = debugconOutput;
        b.flushEachLine = flushEachLine;
        b.unicornLibrary = unicornLibrary;
        b.countInstructions = countInstructions;
        b.wallClock = wallClock;
        b.devices = devices;
        b.kaslrSeed = kaslrSeed;
        b.entropySeed = entropySeed;
        b.extraAcpiTables = extraAcpiTables;
        b.moduleDirs = moduleDirs;
        return b;
    }

    /** Fluent construction; every field starts at its documented default. */
    public static final class Builder {
        private long memoryBytes = DEFAULT_MEMORY;
        private int cpus = 1;
        private String cmdline = "";
        private long bootEpochSeconds = System.currentTimeMillis() / 1000;
        private boolean fiveLevelPaging;
        private Optional<FramebufferSize> framebuffer = Optional.of(FramebufferSize.DEFAULT);
        private List<ModuleFile> modules = List.of();
        private boolean x2apic = true;
        private Optional<Duration> timeout = Optional.empty();
        private OutputStream serialOutput;
        private OutputStream debugconOutput;
        private boolean flushEachLine;
        private Optional<Path> unicornLibrary = Optional.empty();
        private boolean countInstructions;
        private boolean wallClock;
        private List<DeviceSpec> devices = List.of();
        private OptionalLong kaslrSeed = OptionalLong.empty();
        private long entropySeed = DEFAULT_ENTROPY_SEED;
        private List<String> extraAcpiTables = List.of();
        private List<Path> moduleDirs = List.of();

        private Builder(OutputStream output) {
            this.serialOutput = output;
            this.debugconOutput = output;
        }

        public Builder memoryBytes(long v) {
            memoryBytes = v;
            return this;
        }

        public Builder cpus(int v) {
            cpus = v;
            return this;
        }

        public Builder cmdline(String v) {
            cmdline = v;
            return this;
        }

        public Builder bootEpochSeconds(long v) {
            bootEpochSeconds = v;
            return this;
        }

        public Builder fiveLevelPaging(boolean v) {
            fiveLevelPaging = v;
            return this;
        }

        public Builder framebuffer(Optional<FramebufferSize> v) {
            framebuffer = v;
            return this;
        }

        public Builder modules(List<ModuleFile> v) {
            modules = v;
            return this;
        }

        public Builder timeout(Optional<Duration> v) {
            timeout = v;
            return this;
        }

        public Builder serialOutput(OutputStream v) {
            serialOutput = v;
            return this;
        }

        public Builder debugconOutput(OutputStream v) {
            debugconOutput = v;
            return this;
        }

        public Builder flushEachLine(boolean v) {
            flushEachLine = v;
            return this;
        }

        public Builder unicornLibrary(Optional<Path> v) {
            unicornLibrary = v;
            return this;
        }

        public Builder countInstructions(boolean v) {
            countInstructions = v;
            return this;
        }

        public Builder devices(List<DeviceSpec> v) {
            devices = v;
            return this;
        }

        public Builder x2apic(boolean v) {
            x2apic = v;
            return this;
        }

        public Builder wallClock(boolean v) {
            wallClock = v;
            return this;
        }

        /** {@code --kaslr[=SEED]}: slide a relocatable kernel as Limine's KASLR does; empty: its link address. */
        public Builder kaslrSeed(OptionalLong v) {
            kaslrSeed = v;
            return this;
        }

        /** {@code --seed}: the entropy request's generator seed. */
        public Builder entropySeed(long v) {
            entropySeed = v;
            return this;
        }

        /** {@code --acpi-table}: optional ACPI tables by signature. */
        public Builder extraAcpiTables(List<String> v) {
            extraAcpiTables = v;
            return this;
        }

        /** {@code --module-dir}: where internal modules not beside the kernel are looked for, in order. */
        public Builder moduleDirs(List<Path> v) {
            moduleDirs = v;
            return this;
        }

        public MachineConfig build() {
            return new MachineConfig(memoryBytes, cpus, cmdline, bootEpochSeconds, fiveLevelPaging, framebuffer,
                    modules, x2apic, timeout, serialOutput, debugconOutput, flushEachLine, unicornLibrary,
                    countInstructions, wallClock, devices, kaslrSeed, entropySeed, extraAcpiTables, moduleDirs);
        }
    }
}
