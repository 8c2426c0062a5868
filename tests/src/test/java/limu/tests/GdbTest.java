// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static limu.tests.GdbSessions.contains;
import static limu.tests.GdbSessions.gdb;
import static limu.tests.GdbSessions.limu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import limu.tests.GdbSessions.Running;
import org.junit.jupiter.api.Test;

/**
 * The GDB stub driven by the real gdb (Debian's gdb 13, batch mode) and by raw
 * sockets for the inputs gdb never sends. Each test starts {@code limu run
 * --gdb=PORT} on a free port, mostly with {@code --gdb-wait}.
 */
class GdbTest {
    private static final String TARGET = "gdb-target.elf";

    @Test
    void breakByFunctionNameHitsInAPieKernelSlidByKaslr() throws Exception {
        Running limu = limu("pie.elf", "--gdb-wait", "--kaslr=5");
        String out = gdb(limu, "pie.elf", "break pie::double", "continue", "print/x $pc",
                "info symbol $pc", "detach");
        // the breakpoint is set at the slid address (qOffsets) and hit there: double(21) from the operations table
        java.util.regex.Matcher set = Pattern.compile("Breakpoint 1 at (0x[0-9a-f]+): file src/main.rs, line 90")
                .matcher(out);
        assertTrue(set.find(), out);
        contains(out, "Breakpoint 1, pie::double (x=21) at src/main.rs:90");
        contains(out, "$1 = " + set.group(1));
        contains(out, "::double + ");
        Limu.Result r = limu.finish();
        assertEquals(33, r.exitCode(), r.toString());
        java.util.regex.Matcher slide = Pattern.compile("slide (0x[0-9a-f]+)").matcher(r.stdout());
        assertTrue(slide.find(), r.stdout());
        assertFalse(slide.group(1).equals("0x0"), "--kaslr=5 moved the kernel: " + r.stdout());
    }

    @Test
    void breakOnARustFunctionBacktracePrintStepNextFinishWatchRegistersDetach() throws Exception {
        Running limu = limu(TARGET, "--gdb-wait");
        String out = gdb(limu, TARGET,
                "break gdb_target::leaf", "continue", "bt",
                "next", "print local_sum", "print STATS", "print STATS.magic",
                "watch COUNTER", "continue", "delete",
                "finish", "next", "step",
                "info registers cr3 efer cr0", "print $fs_base", "info threads", "detach");
        contains(out, "Breakpoint 1, gdb_target::leaf (depth=0, p=...) at gdb-target/src/main.rs:67");
        // bt through several frames, down to the entry stub
        assertTrue(Pattern.compile("#1 .* gdb_target::middle \\(depth=0\\) at gdb-target/src/main.rs:76").matcher(out)
                .find(), out);
        contains(out, "gdb_target::outer (n=4) at gdb-target/src/main.rs:84");
        contains(out, "gdb_target::kmain () at gdb-target/src/main.rs:");
        contains(out, "in _start ()");
        // next: line 67 -> 68; a local and a static struct
        contains(out, "68\t    unsafe { COUNTER += 1 };");
        contains(out, "$1 = 7");
        contains(out, "$2 = gdb_target::Stats {calls: 0, last: gdb_target::Point {x: 0, y: 0}, magic: 23130}");
        contains(out, "$3 = 23130");
        // the watchpoint fires after the store, at the next line, as a hardware watchpoint does
        contains(out, "Hardware watchpoint 2: COUNTER");
        contains(out, "Old value = 0\nNew value = 1\n");
        contains(out, "gdb_target::leaf (depth=0, p=...) at gdb-target/src/main.rs:69");
        // finish returns to middle with leaf's value; next and step go on in middle
        contains(out, "Value returned is $4 = 7");
        contains(out, "77\t    r + 1");
        contains(out, "78\t}");
        assertTrue(Pattern.compile("cr3\\s+0x[0-9a-f]+").matcher(out).find(), out);
        assertTrue(Pattern.compile("efer\\s+0xd00").matcher(out).find(), out);
        assertTrue(Pattern.compile("cr0\\s+0x80010011").matcher(out).find(), out);
        contains(out, "$5 = 0");
        contains(out, "Thread 1 (CPU 0 running)");
        contains(out, "[Inferior 1 (Remote target) detached]");
        Limu.Result r = limu.finish();
        assertEquals(33, r.exitCode(), "after detach the kernel runs on to its exit\n" + r);
        contains(r.stdout(), "gdb-target: total 98 counter 4");
        contains(r.stderr(), "limu: gdb: client detached; the machine runs on");
        r.assertNoStackTrace();
    }

    @Test
    void stepiAcrossAnInt3TheKernelHandlesItself() throws Exception {
        Running limu = limu(TARGET, "--gdb-wait");
        String out = gdb(limu, TARGET,
                "break *gdb_target::breakpoint_instruction", "continue",
                "stepi", "x/i $pc", "stepi", "x/i $pc", "stepi", "x/i $pc", "delete", "continue");
        contains(out, "int3");
        // the int3 went through the kernel's own IDT: the next stop is its handler's first instruction
        assertTrue(Pattern.compile("=> 0x[0-9a-f]+ <int3_stub>:\\s+lock incq").matcher(out).find(), out);
        assertTrue(Pattern.compile("=> 0x[0-9a-f]+ <int3_stub\\+\\d+>:\\s+iretq").matcher(out).find(), out);
        contains(out, "[Inferior 1 (Remote target) exited with code 041]");
        Limu.Result r = limu.finish();
        assertEquals(33, r.exitCode(), r.toString());
        contains(r.stdout(), "gdb-target: int3 handled");
    }

    @Test
    void everyCpuIsAThread() throws Exception {
        Running limu = limu("smp.elf", "--cpus", "4", "--gdb-wait");
        String out = gdb(limu, "smp.elf", "info threads", "break smp::ap_main", "continue", "info threads",
                "thread 2", "bt", "monitor cpus", "delete", "detach");
        contains(out, "Thread 2 (CPU 1 parked)");
        contains(out, "Thread 4 (CPU 3 parked)");
        assertTrue(Pattern.compile("Thread \\d hit Breakpoint 1, smp::ap_main").matcher(out).find(), out);
        contains(out, "[Switching to thread 2 (Thread 2)]");
        contains(out, "Thread 2 (CPU 1 running)");
        contains(out, "CPU 0 running");
        Limu.Result r = limu.finish();
        assertEquals(33, r.exitCode(), r.toString());
    }

    @Test
    void ctrlCStopsASpinningKernelThenBacktraceAndKill() throws Exception {
        Running limu = limu("hello.elf", "--cmdline", "spin", "--gdb-wait");
        Path script = Files.createTempFile("limu-ctrl-c", ".py");
        // as a user pressing Ctrl-C: SIGINT to gdb while it waits for the target; gdb sends 0x03
        // (armed when the target resumes, so a slow start cannot interrupt the connection handshake instead)
        Files.writeString(script, "import gdb, os, signal, threading\n"
                + "def resumed(event):\n"
                + "    gdb.events.cont.disconnect(resumed)\n"
                + "    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n"
                + "gdb.events.cont.connect(resumed)\n");
        String out = gdb(limu, "hello.elf", "source " + script, "continue", "bt", "monitor serial", "kill");
        Files.deleteIfExists(script);
        contains(out + "\n--- limu ---\n" + limu.err(), "Program received signal SIGINT, Interrupt.");
        contains(out, "hello::hello_main () at hello/src/main.rs:");
        contains(out, "hello: spinning");
        Limu.Result r = limu.finish();
        assertEquals(14, r.exitCode(), "gdb's kill ends the run\n" + r);
    }

    @Test
    void monitorCommands() throws Exception {
        Running limu = limu(TARGET, "--gdb-wait");
        String out = gdb(limu, TARGET, "monitor help", "monitor memmap", "monitor walk 0xffffffff80000000",
                "monitor walk 0xffff900000000000", "monitor gdt", "monitor idt", "monitor lapic", "monitor heap",
                "monitor bogus", "detach");
        contains(out, "walk ADDR");
        contains(out, "EXECUTABLE_AND_MODULES");
        contains(out, "-> physical 0x");
        contains(out, "not present: #PF on access");
        contains(out, "0x28: code64");
        contains(out, "CPU 0 local APIC: id 0, xAPIC, software-enabled");
        contains(out, "heap checking is not enabled");
        contains(out, "unknown monitor command 'bogus'");
        assertEquals(33, limu.finish().exitCode());
    }

    @Test
    void monitorBacktraceAndWhereShowInlinedCalls() throws Exception {
        String kernel = "gdb-target-release.elf";
        limu.bootloader.ElfFile elf = limu.bootloader.ElfFile.parse(Files.readAllBytes(Limu.kernel(kernel)), kernel);
        // a code address in an inlined call, for "monitor where"
        limu.bootloader.ElfFile.Section text = elf.section(".text").orElseThrow();
        long inlined = 0;
        for (long a = text.addr(); a < text.addr() + text.size() && inlined == 0; a++) {
            if (elf.inlines().at(a).size() > 1) {
                inlined = a;
            }
        }
        assertTrue(inlined != 0, "the release kernel has inlined code");
        var chain = elf.inlines().at(inlined);
        Running limu = limu(kernel, "--gdb-wait");
        String out = gdb(limu, kernel, "break *gdb_target::leaf", "continue", "monitor bt",
                String.format("monitor where 0x%x", inlined), "delete", "detach");
        assertTrue(Pattern.compile("(?m)^#0 0x[0-9a-f]{16} gdb_target::leaf \\(").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^#1 0x[0-9a-f]{16} gdb_target::middle\\+0x[0-9a-f]+ \\(").matcher(out)
                .find(), out);
        assertTrue(Pattern.compile("(?m)^#\\d+ 0x[0-9a-f]{16} gdb_target::outer\\+0x").matcher(out).find(), out);
        contains(out, String.format("#0 0x%016x ", inlined));
        contains(out, " in " + chain.get(0).function() + ")");
        contains(out, "    inlined into " + chain.get(1).function());
        assertEquals(33, limu.finish().exitCode());
    }

    // ------------------------------------------------------------------ raw protocol

    private static String packet(String payload) {
        int sum = 0;
        for (byte b : payload.getBytes(StandardCharsets.ISO_8859_1)) {
            sum += b & 0xff;
        }
        return String.format("$%s#%02x", payload, sum & 0xff);
    }

    /** Reads until a complete packet (or a lone '-') arrives; returns everything read. */
    private static String reply(InputStream in) throws IOException {
        StringBuilder s = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return s + "<EOF>";
            }
            s.append((char) b);
            String t = s.toString();
            if (t.equals("-") || t.matches("(?s).*\\$[^#]*#[0-9a-f]{2}")) {
                return t;
            }
        }
    }

    @Test
    void badInputIsAnsweredAsTheProtocolSaysAndNeverCrashes() throws Exception {
        Running limu = limu(TARGET, "--gdb-wait");
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), limu.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("+".getBytes());
            out.write(new byte[] {(byte) 0xff, 0, 1, 2, '#', '#', 'x'});          // noise outside packets
            out.write("$qSupported#00".getBytes());                                 // wrong checksum
            assertEquals("-", reply(in));
            out.write(packet("qSupported:swbreak+").getBytes());
            contains(reply(in), "qXfer:features:read+;vContSupported+;swbreak+;hwbreak+;QStartNoAckMode+");
            out.write(packet("qLimuDoesNotKnowThis").getBytes());
            assertEquals("+" + packet(""), reply(in));                                          // unknown: empty reply
            out.write(packet("m ffffffff8,zz").getBytes());
            assertEquals("+" + packet("E01"), reply(in));                                       // malformed
            out.write(packet("mffff900000000000,10").getBytes());
            assertEquals("+" + packet("E14"), reply(in));                                       // unmapped: EFAULT
            out.write(packet("m0,ffffffffffffffff").getBytes());                       // oversized length
            String big = reply(in);
            assertTrue(big.startsWith("+$"), big.length() > 100 ? big.substring(0, 100) : big);
            out.write(packet("p9999").getBytes());
            assertEquals("+" + packet("E45"), reply(in));
            out.write(packet("X" + "ffff900000000000,2:ab").getBytes());
            assertEquals("+" + packet("E14"), reply(in));
            out.write(packet("Hg99").getBytes());
            assertEquals("+" + packet("E01"), reply(in));
            out.write(("$" + "a".repeat(70_000) + "#00").getBytes());                   // longer than PacketSize
            assertEquals("+" + packet("E01"), reply(in));
            out.write(packet("vCont;x").getBytes());
            assertEquals("+" + packet("E01"), reply(in));
            out.write(packet("Z9,0,0").getBytes());
            assertEquals("+" + packet(""), reply(in));
            out.write(packet("g").getBytes());
            String g = reply(in);
            assertEquals(2 + 1216 + 3, g.length(), "608 register bytes: " + g);

            // a second client is refused; the first one is not disturbed
            try (Socket second = new Socket(InetAddress.getLoopbackAddress(), limu.port())) {
                second.setSoTimeout(10_000);
                String r = new String(second.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(r.startsWith(packet("E01")), r);
            }
            out.write(packet("?").getBytes());
            assertEquals("+" + packet("T05thread:1;"), reply(in));
            out.write(packet("QStartNoAckMode").getBytes());
            assertEquals("+" + packet("OK"), reply(in));
            out.write(packet("qC").getBytes());
            assertEquals(packet("QC1"), reply(in));                                        // no ack any more
            // binary garbage, then an abrupt disconnect while stopped
            byte[] junk = new byte[4096];
            new java.util.Random(7).nextBytes(junk);
            out.write(junk);
            out.flush();
        } catch (SocketTimeoutException e) {
            limu.process().destroyForcibly();
            fail("no reply\n" + limu.err());
        }
        Limu.Result r = limu.finish();
        assertEquals(33, r.exitCode(), "the machine runs on after an abrupt disconnect\n" + r);
        contains(r.stderr(), "refused a second client");
        contains(r.stderr(), "client disconnected; the machine runs on");
        r.assertNoStackTrace();
    }

    @Test
    void aDisconnectWhileRunningDoesNotHangTheMachine() throws Exception {
        Running limu = limu(TARGET, "--gdb-wait");
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), limu.port())) {
            OutputStream out = s.getOutputStream();
            out.write(packet("Z0,ffffffff80000000,1").getBytes());
            out.write(packet("c").getBytes());
            out.flush();
            Thread.sleep(100);
        }
        Limu.Result r = limu.finish();
        assertEquals(33, r.exitCode(), r.toString());
        assertFalse(r.stderr().contains("Exception"), r.toString());
    }

    @Test
    void gdbWaitNeedsGdb() {
        Limu.Result r = Limu.run("run", Limu.kernel(TARGET).toString(), "--gdb-wait");
        assertEquals(2, r.exitCode(), r.toString());
        contains(r.stderr(), "--gdb-wait needs --gdb");
        Map.of();
    }
}
