package limu.emulator;

import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything that shapes one machine: what the command line, a test or the
 * JUnit API decides before boot.
 *
 * @param memoryBytes guest RAM
 * @param cmdline the executable cmdline handed to the kernel
 * @param bootEpochSeconds the "date at boot" (UNIX seconds)
 * @param fiveLevelPaging whether a kernel that asks for 5-level paging gets it
 * @param timeout wall-clock limit of a run; empty for none
 * @param serialOutput where COM1's transmitted bytes go
 * @param debugconOutput where port 0xE9 bytes go
 * @param flushEachLine flush the outputs at each newline (interactive use)
 * @param unicornLibrary an explicit libunicorn to use instead of the default search
 * @param countInstructions count every guest instruction (slower; for measurements)
 */
public record MachineConfig(long memoryBytes, String cmdline, long bootEpochSeconds, boolean fiveLevelPaging,
                            Optional<Duration> timeout, OutputStream serialOutput, OutputStream debugconOutput,
                            boolean flushEachLine, Optional<Path> unicornLibrary, boolean countInstructions) {
    public static final long DEFAULT_MEMORY = 256L << 20;

    /** 256 MiB, empty cmdline, no timeout, serial and debugcon to the given stream. */
    public static MachineConfig defaults(OutputStream output) {
        return new MachineConfig(DEFAULT_MEMORY, "", System.currentTimeMillis() / 1000, false,
                Optional.empty(), output, output, false, Optional.empty(), false);
    }

    public MachineConfig withMemory(long bytes) {
        return new MachineConfig(bytes, cmdline, bootEpochSeconds, fiveLevelPaging, timeout, serialOutput,
                debugconOutput, flushEachLine, unicornLibrary, countInstructions);
    }

    public MachineConfig withCmdline(String line) {
        return new MachineConfig(memoryBytes, line, bootEpochSeconds, fiveLevelPaging, timeout, serialOutput,
                debugconOutput, flushEachLine, unicornLibrary, countInstructions);
    }

    public MachineConfig withTimeout(Duration limit) {
        return new MachineConfig(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, Optional.of(limit),
                serialOutput, debugconOutput, flushEachLine, unicornLibrary, countInstructions);
    }

    public MachineConfig withCountInstructions(boolean count) {
        return new MachineConfig(memoryBytes, cmdline, bootEpochSeconds, fiveLevelPaging, timeout, serialOutput,
                debugconOutput, flushEachLine, unicornLibrary, count);
    }
}
