// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static limu.tests.GdbSessions.contains;
import static limu.tests.GdbSessions.gdb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import limu.tests.GdbSessions.Running;
import org.junit.jupiter.api.Test;

/**
 * Reverse debugging driven by the real gdb 13 in batch mode: reverse-stepi, reverse-continue to breakpoints and
 * (backwards) watchpoints, on one CPU and across an IPI on two, the history's start (replaylog), the history cap.
 * Kernels: {@code gdb-target} and {@code reverse} (a limit overwritten by the wrong loop, a value written by
 * CPU 1's IPI handler).
 */
class ReverseDebugTest {
    /** {@code limu run KERNEL --gdb=PORT --gdb-wait EXTRA...}: every test here starts stopped at the entry. */
    private static Running limu(String kernel, String... extra) throws Exception {
        List<String> options = new ArrayList<>(List.of("--gdb-wait"));
        options.addAll(List.of(extra));
        return GdbSessions.limu(kernel, options.toArray(String[]::new));
    }

    /** The text between {@code echo <from>\n} and {@code echo <to>\n} markers. */
    private static String between(String out, String from, String to) {
        int a = out.indexOf(from);
        int b = out.indexOf(to, a + 1);
        assertTrue(a >= 0 && b > a, "markers " + from + ", " + to + " in:\n" + out);
        return out.substring(a + from.length(), b);
    }

    private static final String REGS = "info registers rip rsp rbp rax rbx rcx rdx rsi rdi r8 r9 r10 r11 r12 r13 r14 "
            + "r15 eflags";

    @Test
    void reverseStepiNTimesThenStepiNTimesReturnsToTheSamePcAndRegisters() throws Exception {
        Running limu = limu("gdb-target.elf");
        List<String> cmds = new ArrayList<>(List.of("break gdb_target::leaf", "continue", "continue",
                "echo @BP\\n", "print/x $pc", "echo @BP-END\\n"));
        for (int i = 0; i < 6; i++) {
            cmds.add("stepi");
        }
        cmds.addAll(List.of("echo @A\\n", REGS, "echo @A-END\\n"));
        for (int i = 0; i < 6; i++) {
            cmds.add("reverse-stepi");
        }
        cmds.addAll(List.of("echo @BACK\\n", "print/x $pc", "echo @BACK-END\\n"));
        for (int i = 0; i < 6; i++) {
            cmds.add("stepi");
        }
        cmds.addAll(List.of("echo @B\\n", REGS, "echo @B-END\\n", "print COUNTER", "kill"));
        String out = gdb(limu, "gdb-target.elf", cmds.toArray(String[]::new));
        String before = between(out, "@A\n", "@A-END");
        String after = between(out, "@B\n", "@B-END");
        contains(before, "rip");
        assertEquals(before, after, "six steps forward after six steps back end where they ended before\n" + out);
        // six steps back from six steps past the breakpoint: the breakpoint's address again
        assertEquals(between(out, "@BP\n", "@BP-END").replace("$1", "$2"), between(out, "@BACK\n", "@BACK-END"), out);
        contains(out, "$3 = 1");   // the second leaf() call has not incremented COUNTER yet
        limu.finish();
    }

    @Test
    void reverseContinueFromAPanicStopsAtTheLastBreakpointHit() throws Exception {
        Running limu = limu("reverse.elf", "--cmdline", "crash");
        String out = gdb(limu, "reverse.elf", "break reverse::compute", "break reverse::clear_table",
                "break kernel_support::report_panic", "continue", "continue", "continue",
                "echo @PANIC\\n", "bt 1", "echo @BACK\\n", "reverse-continue", "echo @BACK2\\n", "reverse-continue",
                "kill");
        contains(between(out, "@PANIC", "@BACK"), "kernel_support::report_panic");
        contains(between(out, "@BACK", "@BACK2"), "Breakpoint 2, reverse::clear_table");
        contains(out.substring(out.indexOf("@BACK2")), "Breakpoint 1, reverse::compute");
        Limu.Result r = limu.finish();
        // printed once, by the run; re-executing from the snapshot at boot printed nothing again
        assertEquals(1, r.stdout().split("reverse: start", -1).length - 1, r.stdout());
    }

    @Test
    void goingForwardAgainAfterGoingBackPrintsWhatWasPrintedOnlyOnce() throws Exception {
        Limu.Result plain = Limu.run("run", Limu.kernel("reverse.elf").toString());
        assertEquals(33, plain.exitCode(), plain.toString());
        Running limu = limu("reverse.elf");
        // "limit" is printed before ipi_to_second_cpu; going back to clear_table goes back before it was printed
        String out = gdb(limu, "reverse.elf", "break reverse::ipi_to_second_cpu", "continue",
                "break reverse::clear_table", "reverse-continue", "echo @BACK\\n", "delete", "continue");
        contains(out.substring(out.indexOf("@BACK")), "exited with code 041");
        Limu.Result r = limu.finish();
        assertEquals(33, r.exitCode(), r.toString());
        assertEquals(plain.stdout(), r.stdout(), "each line once, as without gdb");
    }

    @Test
    void aWatchpointHitBackwardsNamesTheWritingInstruction() throws Exception {
        Running limu = limu("reverse.elf");
        String out = gdb(limu, "reverse.elf", "break reverse::ipi_to_second_cpu", "continue",
                "watch reverse::CONFIG.limit", "reverse-continue", "echo @W1\\n", "bt 3", "x/i $pc",
                "print reverse::CONFIG.limit", "reverse-continue", "echo @W2\\n", "bt 1", "x/i $pc",
                "print reverse::CONFIG.limit", "kill");
        String first = between(out, "Hardware watchpoint 2: reverse::CONFIG.limit\n\nOld value", "@W2");
        // going back over clear_table's fifth write: the limit was 42 before it
        contains(first, "= 0\nNew value = 42");
        contains(first, "reverse::clear_table");
        Matcher insn = Pattern.compile("=> 0x[0-9a-f]+ <[^>]+>:\\s+mov\\s+%rcx,\\(%rax\\)").matcher(first);
        assertTrue(insn.find(), "the stop is at the store itself, not after it:\n" + first);
        contains(first, "$1 = 42");
        String second = out.substring(out.indexOf("@W2"));
        // and further back: configure's store of 42, over a limit that was still 0
        contains(second, "reverse::configure");
        contains(second, "movq   $0x2a,");
        contains(second, "$2 = 0");
        limu.finish();
    }

    @Test
    void onTwoCpusReverseContinueFindsTheIpiHandlersWriteOnTheOtherCpu() throws Exception {
        Running limu = limu("reverse.elf", "--cpus", "2");
        String out = gdb(limu, "reverse.elf", "break reverse::ipi_to_second_cpu", "continue", "finish",
                "echo @BSP\\n", "thread", "watch reverse::SHARED", "reverse-continue", "echo @AP\\n", "thread",
                "x/i $pc", "info threads", "kill");
        contains(between(out, "@BSP", "@AP"), "Current thread is 1");
        String back = out.substring(out.indexOf("@AP"));
        contains(out, "Thread 2 hit Hardware watchpoint 2: reverse::SHARED");
        contains(back, "Current thread is 2");
        contains(back, "<reverse_ipi+");
        contains(back, "movq   $0x1234,");
        limu.finish();
    }

    @Test
    void aBreakpointAtTheIpiHandlerIsHitAndEachCpuStepsBackOnItsOwn() throws Exception {
        Running limu = limu("reverse.elf", "--cpus", "2");
        String out = gdb(limu, "reverse.elf", "break reverse_ipi", "continue", "stepi", "echo @AP\\n",
                "x/i $pc", "thread 1", "echo @BSP\\n", "x/i $pc", "reverse-stepi", "echo @BACK\\n", "thread",
                "x/i $pc", "stepi", "echo @FWD\\n", "x/i $pc", "kill");
        // the handler's first instruction holds the breakpoint: CPU 1 stops there when the IPI is delivered
        contains(out, "Thread 2 hit Breakpoint 1, 0x");
        contains(between(out, "@AP", "@BSP"), "<reverse_ipi+1>");
        // CPU 0 sent the IPI with WRMSR and stands after it; one instruction back on thread 1 is that WRMSR
        Matcher after = Pattern.compile("=> (0x[0-9a-f]+) <").matcher(between(out, "@BSP", "@BACK"));
        assertTrue(after.find(), out);
        String back = between(out, "@BACK", "@FWD");
        contains(back, "Current thread is 1");
        contains(back, "wrmsr");
        contains(out.substring(out.indexOf("@FWD")), "=> " + after.group(1) + " <");
        limu.finish();
    }

    @Test
    void goingBackPastTheHistoryStartStopsThereWithReplaylogBegin() throws Exception {
        Running limu = limu("gdb-target.elf");
        String out = gdb(limu, "gdb-target.elf", "break gdb_target::leaf", "continue", "continue", "delete",
                "reverse-continue", "echo @START\\n", "print/x $pc", "info symbol $pc", "reverse-stepi",
                "echo @AGAIN\\n", "monitor when", "kill");
        contains(out, "No more reverse-execution history.");
        String start = between(out, "@START", "@AGAIN");
        contains(start, "_start");
        // and at the start, reverse-stepi says the same and stays
        String again = out.substring(out.indexOf("@AGAIN"));
        contains(again, "virtual time 0 ns");
        limu.finish();
    }

    @Test
    void pastTheCapTheOldestSnapshotsGoAndHistoryStartsLater() throws Exception {
        // snapshots every 100 ns of virtual time and room for a few: the first ones are dropped
        Running limu = limu("gdb-target.elf", "--gdb-history", "320K", "--gdb-history-interval", "100ns");
        String out = gdb(limu, "gdb-target.elf", "break gdb_target::leaf", "continue", "continue", "continue",
                "echo @SNAPS\\n", "monitor snapshots", "echo @END\\n", "delete", "reverse-continue",
                "monitor when", "kill");
        String snaps = between(out, "@SNAPS", "@END");
        Matcher first = Pattern.compile("snapshot 0: virtual time (\\d+) ns").matcher(snaps);
        assertTrue(first.find(), snaps);
        long start = Long.parseLong(first.group(1));
        assertNotEquals(0, start, "the snapshot at boot was dropped\n" + snaps);
        Matcher held = Pattern.compile("(\\d+) bytes held \\(cap (\\d+)\\)").matcher(snaps);
        assertTrue(held.find(), snaps);
        assertTrue(Long.parseLong(held.group(1)) <= Long.parseLong(held.group(2)), snaps);
        contains(out, "No more reverse-execution history.");
        contains(out.substring(out.indexOf("@END")), "virtual time " + start + " ns");
        limu.finish();
    }
}
