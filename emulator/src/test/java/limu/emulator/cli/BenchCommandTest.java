// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The heap figures of {@code limu bench} count the allocator calls from the run's own heap summary line. */
class BenchCommandTest {
    @Test
    void allocatorCallsAddUpEveryKindOfTheSummaryLine() {
        List<String> stderr = List.of(
                "limu: --heap-check: watching talc's own Talc::malloc",
                "limu: heap: 44001 alloc, 7 alloc_zeroed, 40787 realloc, 44000 dealloc calls; 0 null returns;"
                        + " 675588040 bytes allocated in total, peak 262144 live bytes",
                "limu: heap: live at exit: 1 blocks, 32 bytes");
        assertEquals(44001 + 7 + 40787 + 44000, BenchCommand.allocatorCalls(stderr));
    }

    @Test
    void noSummaryLineMeansNoCalls() {
        assertEquals(0, BenchCommand.allocatorCalls(List.of("limu: heap: live at exit: 1 blocks, 32 bytes",
                "heap-talc: cpus 1, rounds 20")));
    }
}
