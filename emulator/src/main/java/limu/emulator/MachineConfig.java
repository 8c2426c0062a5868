package limu.emulator;

import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything that shapes one machine: what the command line, a test or an API
 * user decides before boot. Build one with {@link #builder(OutputStream)}.
 *
 * @param memoryBytes guest RAM
 * @param cpus number of CPUs (the BSP and cpus - 1 APs)
 * @param cmdline the executable cmdline handed to the kernel
 * @param bootEpochSeconds the "date at boot" (UNIX seconds)
 * @param fiveLevelPaging whether a kernel that asks for 5-level paging gets it
 * @param framebuffer the display's resolution; empty for a machine without one
 * @param modules files handed to the kernel through the module request
 * @param timeout wall-clock limit of a run; empty for none
 * @param serialOutput where COM1's transmitted bytes go
 * @param debugconOutput where port 0xE9 bytes go
 * @param flushEachLine flush the outputs at each newline (interactive use)
 * @param unicornLibrary an explicit libunicorn to use instead of the default search
 * @param countInstructions count every guest instruction (slower; for measurements)
 * @param wallClock virtual time follows the host clock (interactive use) instead of guest work
 * @param devices plug-in devices to attach (found with ServiceLoader)
 * @param x2apic whether the CPUs have an x2APIC (CPUID.1:ECX[21]; the MP request's x2APIC flag)
 * @param bootOptions the bootloader's own choices: KASLR and its seed, the entropy request's seed, optional ACPI
 *                    tables
 */
public record MachineConfig(long memoryBytes, int cpus, String cmdline, long bootEpochSeconds,
                            boolean fiveLevelPaging, Optional<Resolution> framebuffer, List<Module> modules,
                            Optional<Duration> timeout, OutputStream serialOutput, OutputStream debugconOutput,
                            boolean flushEachLine, Optional<Path> unicornLibrary, boolean countInstructions,
                            boolean wallClock, List<DeviceSpec> devices, boolean x2apic,
                            limu.bootloader.BootOptions bootOptions) {
    public static final long DEFAULT_MEMORY = 256L << 20;
    public static final int MAX_CPUS = 64;
    public static final Resolution DEFAULT_FRAMEBUFFER = new Resolution(1280, 800);

    public MachineConfig {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("--cpus " + cpus + " is out of range: 1 to " + MAX_CPUS);
        }
        modules = List.copyOf(modules);
        devices = List.copyOf(devices);
        bootOptions = bootOptions == null ? limu.bootloader.BootOptions.DEFAULT : bootOptions;
    }

    /** A display resolution, parsed from {@code WIDTHxHEIGHT}. */
    public record Resolution(int width, int height) {
        public static final int MIN_WIDTH = 320;
        public static final int MIN_HEIGHT = 200;
        public static final int MAX_WIDTH = 7680;
        public static final int MAX_HEIGHT = 4320;
        private static final Pattern FORM = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

        public Resolution {
            if (width < MIN_WIDTH || height < MIN_HEIGHT || width > MAX_WIDTH || height > MAX_HEIGHT) {
                throw new IllegalArgumentException(String.format("framebuffer %dx%d is out of range: %dx%d to %dx%d",
                        width, height, MIN_WIDTH, MIN_HEIGHT, MAX_WIDTH, MAX_HEIGHT));
            }
        }

        public static Resolution parse(String text) {
            Matcher m = FORM.matcher(text.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + text + "' is not a resolution (example: 1280x800)");
            }
            return new Resolution(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        }
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

    /** A module file and the cmdline (Limine's "string") that goes with it. */
    public record Module(Path path, String cmdline) {
        /** {@code PATH[,CMDLINE]}, as the --module option takes it. */
        public static Module parse(String text) {
            int comma = text.indexOf(',');
            return comma < 0 ? new Module(Path.of(text), "")
                    : new Module(Path.of(text.substring(0, comma)), text.substring(comma + 1));
        }
    }

    public static Builder builder(OutputStream output) {
        return new Builder(output);
    }

    /** 256 MiB, one CPU, a 1280x800 framebuffer, empty cmdline, no timeout, serial and debugcon to {@code output}. */
    public static MachineConfig defaults(OutputStream output) {
        return builder(output).build();
    }

    public MachineConfig withCmdline(String line) {
        return toBuilder().cmdline(line).build();
    }

    public MachineConfig withCountInstructions(boolean count) {
        return toBuilder().countInstructions(count).build();
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
        b.timeout = timeout;
        b.debugconOutput = debugconOutput;
        b.flushEachLine = flushEachLine;
        b.unicornLibrary = unicornLibrary;
        b.countInstructions = countInstructions;
        b.wallClock = wallClock;
        b.devices = devices;
        b.x2apic = x2apic;
        b.bootOptions = bootOptions;
        return b;
    }

    /** Fluent construction; every field starts at its documented default. */
    public static final class Builder {
        private long memoryBytes = DEFAULT_MEMORY;
        private int cpus = 1;
        private String cmdline = "";
        private long bootEpochSeconds = System.currentTimeMillis() / 1000;
        private boolean fiveLevelPaging;
        private Optional<Resolution> framebuffer = Optional.of(DEFAULT_FRAMEBUFFER);
        private List<Module> modules = List.of();
        private Optional<Duration> timeout = Optional.empty();
        private OutputStream serialOutput;
        private OutputStream debugconOutput;
        private boolean flushEachLine;
        private Optional<Path> unicornLibrary = Optional.empty();
        private boolean countInstructions;
        private boolean wallClock;
        private List<DeviceSpec> devices = List.of();
        private boolean x2apic = true;
        private limu.bootloader.BootOptions bootOptions = limu.bootloader.BootOptions.DEFAULT;

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

        public Builder framebuffer(Optional<Resolution> v) {
            framebuffer = v;
            return this;
        }

        public Builder modules(List<Module> v) {
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

        public Builder bootOptions(limu.bootloader.BootOptions v) {
            bootOptions = v;
            return this;
        }

        public Builder wallClock(boolean v) {
            wallClock = v;
            return this;
        }

        public MachineConfig build() {
            return new MachineConfig(memoryBytes, cpus, cmdline, bootEpochSeconds, fiveLevelPaging, framebuffer,
                    modules, timeout, serialOutput, debugconOutput, flushEachLine, unicornLibrary, countInstructions,
                    wallClock, devices, x2apic, bootOptions);
        }
    }
}
