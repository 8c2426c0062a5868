package limu.emulator.heap;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code --heap-check} asked for.
 *
 * @param keepGoing  {@code --heap-check-continue}: report every violation and run on instead of stopping at the first
 * @param reportFile {@code --heap-report FILE.json}: the exit summary and every violation as JSON
 */
public record HeapOptions(boolean keepGoing, Optional<Path> reportFile) {
    public static HeapOptions defaults() {
        return new HeapOptions(false, Optional.empty());
    }
}
