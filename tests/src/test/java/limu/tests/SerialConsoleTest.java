// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code limu run} with its stdin on a real pseudo-terminal, driven by Python's pty module as a person at a terminal:
 * the serial-echo kernel echoes what is typed, QEMU's Ctrl-A keys work, and the terminal is in raw mode while the
 * guest runs and back in cooked mode (icanon, echo) however the run ends: the guest's exit, Ctrl-A x, a guest
 * crash, SIGTERM.
 */
class SerialConsoleTest {
    /** What the pty session printed: exit code, each `stty -a` (the last one after the end), the screen. */
    record Session(int exitCode, List<String> sttys, String screen, String error) {
        String sttyAfter() {
            return sttys.get(sttys.size() - 1);
        }

        @Override
        public String toString() {
            return "exit " + exitCode + (error == null ? "" : ", " + error) + "\n--- screen ---\n" + screen
                    + "\n--- stty ---\n" + String.join("\n---\n", sttys);
        }
    }

    private static Session session(String steps, String... limuArgs) throws Exception {
        Path script;
        try {
            script = Path.of(SerialConsoleTest.class.getResource("pty_session.py").toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
        List<String> cmd = new ArrayList<>(List.of("python3", script.toString(), steps, "--"));
        List<String> args = new ArrayList<>(List.of("run", Limu.kernel("serial-echo-release.elf").toString(),
                "--timeout", "120s"));
        args.addAll(Arrays.asList(limuArgs));
        cmd.addAll(Limu.command("", args.toArray(String[]::new)));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Limu.HOME.toFile()).redirectErrorStream(true);
        pb.environment().remove("LIMU_UNICORN_LIB");
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = drain(p.getInputStream());
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the pty session did not end: " + cmd);
        }
        int exit = Integer.MIN_VALUE;
        List<String> sttys = new ArrayList<>();
        String screen = null;
        String error = null;
        for (String line : out.get().lines().toList()) {
            if (line.startsWith("EXIT ")) {
                exit = Integer.parseInt(line.substring(5));
            } else if (line.startsWith("STTY ")) {
                sttys.add(decode(line.substring(5)));
            } else if (line.startsWith("OUTPUT ")) {
                screen = decode(line.substring(7));
            } else if (line.startsWith("ERROR ")) {
                error = line.substring(6);
            }
        }
        if (screen == null || sttys.isEmpty()) {
            fail("the pty session failed (python3 " + script + "):\n" + out.get());
        }
        return new Session(exit, sttys, screen, error);
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.ISO_8859_1);
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                return b.toString(StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                return "<" + e + ">";
            }
        });
    }

    /** The settings `stty -a` lists, each a word such as {@code icanon} or {@code -echo}. */
    private static List<String> flags(String stty) {
        return Arrays.asList(stty.split("[\\s;]+"));
    }

    private static void assertCooked(String stty, Session s) {
        List<String> f = flags(stty);
        assertTrue(f.contains("icanon") && f.contains("echo") && f.contains("icrnl"),
                "the terminal is not back in cooked mode:\n" + s);
    }

    private static void assertRaw(String stty, Session s) {
        List<String> f = flags(stty);
        assertTrue(f.contains("-icanon") && f.contains("-echo") && f.contains("-icrnl") && f.contains("opost")
                && f.contains("isig"), "the terminal is not in the console's raw mode while the guest runs:\n" + s);
    }

    @Test
    void typedBytesAreEchoedCtrlACtrlASendsOneCtrlAAndQuitEndsTheRun() throws Exception {
        Session s = session("""
                [["expect", "serial-echo: ready"], ["stty"],
                 ["send", "hello\\r"], ["expect", "hello\\r"],
                 ["send", "a\\u0001\\u0001b\\r"], ["expect", "a\\u0001b\\r"],
                 ["send", "quit\\r"], ["expect", "quit after \\\\d+ bytes"]]
                """);
        assertEquals(null, s.error(), s.toString());
        assertEquals(33, s.exitCode(), s.toString());
        assertRaw(s.sttys().get(0), s);
        assertCooked(s.sttyAfter(), s);
        // no line editing, no local echo: each byte shows once, as the guest sent it back
        assertTrue(s.screen().contains("serial-echo: ready\r\nhello\ra\u0001b\rquit\r\r\nserial-echo: quit after 15"
                + " bytes"), s.toString());
    }

    @Test
    void ctrlAHListsTheKeysAndCtrlAXQuitsWith32() throws Exception {
        Session s = session("""
                [["expect", "serial-echo: ready"], ["send", "\\u0001h"], ["expect", "C-a x +quit limu \\\\(exit code 32\\\\)"],
                 ["send", "ab"], ["expect", "ab"], ["send", "\\u0001x"]]
                """);
        assertEquals(null, s.error(), s.toString());
        assertEquals(32, s.exitCode(), s.toString());
        assertTrue(s.screen().contains("limu: stopped from the serial console (Ctrl-A x)"), s.toString());
        assertTrue(!s.screen().contains("ab\u0001") && !s.screen().contains("abx"), "the escape reached the guest:\n"
                + s);
        assertCooked(s.sttyAfter(), s);
    }

    @Test
    void aGuestCrashLeavesTheTerminalCooked() throws Exception {
        Session s = session("""
                [["expect", "serial-echo: ready"], ["stty"], ["send", "crash\\r"]]
                """);
        assertEquals(null, s.error(), s.toString());
        assertEquals(8, s.exitCode(), s.toString());
        assertTrue(s.screen().contains("triple fault"), s.toString());
        assertRaw(s.sttys().get(0), s);
        assertCooked(s.sttyAfter(), s);
    }

    @Test
    void sigtermLeavesTheTerminalCooked() throws Exception {
        Session s = session("""
                [["expect", "serial-echo: ready"], ["stty"], ["signal", "TERM"]]
                """);
        assertEquals(null, s.error(), s.toString());
        assertEquals(128 + 15, s.exitCode(), "the JVM's exit status on SIGTERM\n" + s);
        assertRaw(s.sttys().get(0), s);
        assertCooked(s.sttyAfter(), s);
    }

    @Test
    void ctrlCStopsTheRunWith14AndLeavesTheTerminalCooked() throws Exception {
        Session s = session("""
                [["expect", "serial-echo: ready"], ["send", "\\u0003"]]
                """);
        assertEquals(null, s.error(), s.toString());
        assertEquals(14, s.exitCode(), s.toString());
        assertCooked(s.sttyAfter(), s);
    }
}
