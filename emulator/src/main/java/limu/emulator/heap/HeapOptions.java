// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code --heap-check} asked for.
 *
 * @param mode        how much is checked: {@link Mode#ON} the calls, {@link Mode#DEEP} also talc's metadata at every
 *                    call, {@link Mode#STRICT} also every guest access to the heap's spans (and deep's walk)
 * @param keepGoing   {@code --heap-check-continue}: report every violation and run on instead of stopping at the first
 * @param reportFile  {@code --heap-report FILE.json}: the exit summary and every violation as JSON
 * @param pictureFile {@code --heap-picture FILE.png|svg}: the claimed spans, used and free, when the run ends
 */
public record HeapOptions(Mode mode, boolean keepGoing, Optional<Path> reportFile, Optional<Path> pictureFile) {
    /** Checking levels; each includes the ones before it. */
    public enum Mode {
        ON, DEEP, STRICT
    }

    public HeapOptions(boolean keepGoing, Optional<Path> reportFile) {
        this(Mode.ON, keepGoing, reportFile, Optional.empty());
    }

    public static HeapOptions defaults() {
        return new HeapOptions(false, Optional.empty());
    }

    public boolean deep() {
        return mode != Mode.ON;
    }

    public boolean strict() {
        return mode == Mode.STRICT;
    }
}
