// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Stack;
import java.util.Optional;
import limu.emulator.Machine;
import limu.emulator.StopReason;
import limu.emulator.heap.HeapObserver;
import limu.emulator.heap.HeapChecker;
import limu.emulator.heap.HeapOptions;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The {@code --heap-check} options of {@code limu run} (the checker is limu.emulator.heap). */
public final class HeapCheckCli {
    @Option(names = "--heap-check", arity = "0..1", parameterConsumer = ModeConsumer.class, paramLabel = "MODE",
            description = "watch the kernel's global allocator (its __rust_alloc/__rust_dealloc/__rust_realloc/"
                    + "__rust_alloc_zeroed shims) and stop with exit code 18 at the first wrong call: double or"
                    + " invalid free, wrong layout, misaligned, overlapping or racing blocks, memory outside the"
                    + " usable memory map or the heap's spans, alloc_zeroed not zero, realloc losing data."
                    + " Off by default (no cost). MODE: on; deep (also walk talc 4.4.x's metadata at every call:"
                    + " free lists, sizes, bins, bitmaps, tags); strict (deep, and every guest access to the claimed"
                    + " spans outside a live block: use after free, overflow, stray writes)")
    String mode;

    @Option(names = "--heap-check-continue", description = "with --heap-check: report each violation and run on")
    boolean keepGoing;

    @Option(names = "--heap-report", paramLabel = "FILE.json",
            description = "with --heap-check: write the heap summary and every violation as JSON when the run ends")
    Path reportFile;

    @Option(names = "--heap-picture", paramLabel = "FILE.png|svg",
            description = "with --heap-check: draw the claimed heap spans (used by call site, free) when the run ends")
    Path pictureFile;

    private HeapChecker checker;

    /**
     * The optional MODE of {@code --heap-check}: taken only when the next word is a mode, or a bare word
     * that names no file (so that the mode check rejects it by name). {@code --heap-check KERNEL}, as
     * cargo's runner ends its arguments with the kernel, leaves the kernel where it belongs: a plain
     * optional value would swallow it.
     */
    public static final class ModeConsumer implements IParameterConsumer {
        @Override
        public void consumeParameters(Stack<String> args, ArgSpec option, CommandSpec command) {
            String next = args.isEmpty() ? null : args.peek();
            boolean mode = next != null && (MODES.contains(next) || next.matches("[A-Za-z]+") && !isFile(next));
            option.setValue(mode ? args.pop() : "on");
        }

        private static boolean isFile(String name) {
            try {
                return Files.exists(Path.of(name));
            } catch (InvalidPathException e) {
                return false;
            }
        }
    }

    private static final List<String> MODES = List.of("on", "deep", "strict");

    /** Installs the checker when asked for; throws IllegalArgumentException for a bad combination. */
    void install(Machine machine, PrintWriter err) {
        if (mode == null) {
            if (keepGoing || reportFile != null || pictureFile != null) {
                throw new IllegalArgumentException("--heap-check-continue, --heap-report and --heap-picture need"
                        + " --heap-check");
            }
            return;
        }
        HeapOptions.Mode m = mode(mode);
        if (pictureFile != null && !pictureFile.toString().matches("(?i).*\\.(png|svg)")) {
            throw new IllegalArgumentException("--heap-picture: the file name must end in .png or .svg");
        }
        checker = HeapObserver.attach(machine, new HeapOptions(m, keepGoing, Optional.ofNullable(reportFile),
                Optional.ofNullable(pictureFile)), text -> {
            err.println("limu: " + text.stripTrailing());
            err.flush();
        });
        if (checker.entryPoints().entries().isEmpty()) {
            err.println("limu: warning: --heap-check: no allocator shim (__rust_alloc...) in the symbol table:"
                    + " stripped, or no #[global_allocator]; nothing is checked");
        } else if (checker.entryPoints().talcLevel()) {
            err.println("limu: --heap-check: " + String.join(", ", checker.entryPoints().missing())
                    + " inlined (optimised build): watching talc's own Talc::malloc, free, grow_in_place and shrink"
                    + " instead (call sites are the allocator's callers)");
        } else if (checker.entryPoints().globalAllocLevel()) {
            err.println("limu: --heap-check: " + String.join(", ", checker.entryPoints().missing())
                    + " and talc's methods inlined (optimised build): watching the GlobalAlloc alloc/dealloc/realloc"
                    + " methods left as functions instead (" + checker.entryPoints().describe() + "); frees inlined"
                    + " without such a call are not seen");
        } else if (!checker.entryPoints().missing().isEmpty()) {
            err.println("limu: warning: --heap-check: " + String.join(", ", checker.entryPoints().missing())
                    + " not in the symbol table (inlined into the callers in an optimised build): those calls are"
                    + " not seen, so only alignment, location and zeroing are checked");
        }
    }

    /** {@code --heap-check=MODE}'s level; IllegalArgumentException for another word. */
    static HeapOptions.Mode mode(String mode) {
        return switch (mode) {
            case "on" -> HeapOptions.Mode.ON;
            case "deep" -> HeapOptions.Mode.DEEP;
            case "strict" -> HeapOptions.Mode.STRICT;
            default -> throw new IllegalArgumentException("--heap-check=" + mode + ": expected on, deep or strict");
        };
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
        if (pictureFile != null) {
            try {
                limu.emulator.heap.HeapPicture.write(checker, pictureFile);
            } catch (IOException | RuntimeException e) {
                err.println("limu: --heap-picture: cannot write " + pictureFile + ": " + e.getMessage());
            }
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
