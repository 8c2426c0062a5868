package limu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import limu.emulator.Machine;
import limu.emulator.StopReason;
import limu.emulator.heap.HeapChecker;
import limu.emulator.heap.HeapOptions;
import picocli.CommandLine.Option;

/** The {@code --heap-check} options of {@code limu run} (issue 6; the checker is limu.emulator.heap). */
public final class HeapCheckCli {
    @Option(names = "--heap-check", arity = "0..1", fallbackValue = "on", paramLabel = "MODE",
            description = "watch the kernel's global allocator (its __rust_alloc/__rust_dealloc/__rust_realloc/"
                    + "__rust_alloc_zeroed shims) and stop with exit code 18 at the first wrong call: double or"
                    + " invalid free, wrong layout, misaligned, overlapping or racing blocks, memory outside the"
                    + " usable memory map or the heap's spans, alloc_zeroed not zero, realloc losing data."
                    + " Off by default (no cost). MODE: on (deep and strict are not implemented yet)")
    String mode;

    @Option(names = "--heap-check-continue", description = "with --heap-check: report each violation and run on")
    boolean keepGoing;

    @Option(names = "--heap-report", paramLabel = "FILE.json",
            description = "with --heap-check: write the heap summary and every violation as JSON when the run ends")
    Path reportFile;

    private HeapChecker checker;

    /** Installs the checker when asked for; throws IllegalArgumentException for a bad combination. */
    void install(Machine machine, PrintWriter err) {
        if (mode == null) {
            if (keepGoing || reportFile != null) {
                throw new IllegalArgumentException("--heap-check-continue and --heap-report need --heap-check");
            }
            return;
        }
        if (!mode.equals("on")) {
            throw new IllegalArgumentException("--heap-check=" + mode + ": only 'on' is implemented");
        }
        checker = machine.enableHeapCheck(new HeapOptions(keepGoing, Optional.ofNullable(reportFile)), text -> {
            err.println("limu: " + text.stripTrailing());
            err.flush();
        });
        if (checker.entryPoints().entries().isEmpty()) {
            err.println("limu: warning: --heap-check: no allocator shim (__rust_alloc...) in the symbol table:"
                    + " stripped, or no #[global_allocator]; nothing is checked");
        } else if (!checker.entryPoints().missing().isEmpty()) {
            err.println("limu: warning: --heap-check: " + String.join(", ", checker.entryPoints().missing())
                    + " not in the symbol table (inlined into the callers in an optimised build): those calls are"
                    + " not seen, so only alignment, location and zeroing are checked");
        }
    }

    /** After the run: the violation's details, the summary, the JSON report. */
    void finish(StopReason reason, PrintWriter err) {
        if (reason instanceof StopReason.HeapViolation v) {
            err.println(v.report());
        }
        if (checker == null) {
            return;
        }
        for (String line : checker.summary().split("\n")) {
            err.println("limu: " + line);
        }
        if (reportFile != null) {
            try {
                checker.writeReport(reportFile);
            } catch (IOException e) {
                err.println("limu: --heap-report: cannot write " + reportFile + ": " + e.getMessage());
            }
        }
    }
}
