// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import limu.devices.Ps2Key;
import limu.emulator.HostEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recording file: what the writer writes the reader gives back, line by line, and every malformed file is refused. */
class RecordingFileTest {
    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "0123456789abcdef".repeat(4);

    @TempDir
    Path dir;

    private static RunRecording.Header header() {
        return new RunRecording.Header("0.1.0 test", new RunRecording.FileHash(SHA_A, "/k dir/kernel.elf"),
                List.of(new RunRecording.FileHash(SHA_B, "/m/ü%.bin")), 1_700_000_000L,
                List.of("--cmdline=compute 100 %x", "--cpus=2", "--kaslr=1", "--no-x2apic", "--cmdline="),
                List.of(new RunRecording.FileHash(SHA_B, "/boot/user program")));
    }

    private Path written(List<HostEvent> events, RunRecording.End end) throws Exception {
        Path f = dir.resolve("run.rec");
        try (RecordingWriter w = RecordingWriter.create(f, header())) {
            events.forEach(w::input);
            if (end != null) {
                w.end(end);
            }
        }
        return f;
    }

    private static final List<HostEvent> EVENTS = List.of(
            new HostEvent(2, 2572, "hello\n".getBytes(StandardCharsets.US_ASCII), List.of()),
            new HostEvent(7, 9000, new byte[] {0, (byte) 0xff, 0x0d}, List.of(new HostEvent.Key(Ps2Key.A, true))),
            new HostEvent(10_005, 549_254_011_543L, new byte[0],
                    List.of(new HostEvent.Key(Ps2Key.A, false), new HostEvent.Key(Ps2Key.ENTER, true))));

    private static final RunRecording.End END = new RunRecording.End(33, "GuestExit", 33, 4965, 0, 10_005,
            549_254_024_115L, SHA_B, "guest wrote 0x10 to the isa-debug-exit port: exit status 33");

    @Test
    void whatIsWrittenIsReadBackFieldByField() throws Exception {
        RecordingReader.Result r = RecordingReader.read(written(EVENTS, END));
        assertEquals(Optional.empty(), r.warning());
        RunRecording rec = r.recording();
        assertEquals(header(), rec.header());
        assertEquals(EVENTS.size(), rec.events().size());
        for (int i = 0; i < EVENTS.size(); i++) {
            HostEvent want = EVENTS.get(i);
            HostEvent got = rec.events().get(i);
            assertEquals(want.iteration(), got.iteration());
            assertEquals(want.nanos(), got.nanos());
            assertArrayEquals(want.serial(), got.serial());
            assertEquals(want.keys(), got.keys());
        }
        assertEquals(Optional.of(END), rec.end());
    }

    @Test
    void theLinesAreTheDocumentedOnes() throws Exception {
        List<String> lines = Files.readAllLines(written(EVENTS, END), StandardCharsets.US_ASCII);
        assertEquals(List.of("limu-recording 1", "limu 0.1.0%20test", "kernel " + SHA_A + " /k%20dir/kernel.elf",
                "module " + SHA_B + " /m/%C3%BC%25.bin", "date 1700000000", "arg --cmdline=compute%20100%20%25x",
                "arg --cpus=2", "arg --kaslr=1", "arg --no-x2apic", "arg --cmdline=",
                "loaded " + SHA_B + " /boot/user%20program", "start",
                "in 2 2572 68656c6c6f0a -", "in 7 9000 00ff0d A+", "in 10005 549254011543 - A-,ENTER+",
                "end exit=33 stop=GuestExit stop-exit=33 blocks=4965 instructions=0 turns=10005 nanos=549254024115"
                        + " output=" + SHA_B + " message=guest%20wrote%200x10%20to%20the%20isa-debug-exit%20port:"
                        + "%20exit%20status%2033"), lines);
    }

    @Test
    void aRecordingWithoutItsEndIsUsableAndACutOffLastLineIsLeftOutWithAWarning() throws Exception {
        Path f = written(EVENTS, null);
        RunRecording rec = RecordingReader.read(f).recording();
        assertEquals(Optional.empty(), rec.end());
        assertEquals(3, rec.events().size());
        byte[] all = Files.readAllBytes(f);
        byte[] cut = java.util.Arrays.copyOf(all, all.length - 5);   // inside the last input line
        RecordingReader.Result r = RecordingReader.parse(cut, "cut.rec");
        assertEquals(2, r.recording().events().size());
        assertTrue(r.warning().orElseThrow().contains("last line is cut off"), r.warning().toString());
    }

    private static String corrupt(String text) {
        RecordingReader.Corrupt e = assertThrows(RecordingReader.Corrupt.class,
                () -> RecordingReader.parse(text.getBytes(StandardCharsets.ISO_8859_1), "x.rec"));
        return e.getMessage();
    }

    private static final String HEAD = "limu-recording 1\nlimu v\nkernel " + SHA_A + " /k\ndate 5\nstart\n";

    @Test
    void everyMalformedFileIsRefusedWithItsLineAndReason() {
        assertEquals("x.rec: not a limu recording (the file is empty)", corrupt(""));
        assertEquals("x.rec: not a limu recording (no complete line)", corrupt("limu-recording 1"));
        assertTrue(corrupt("ELF\u0002\n").contains("not a limu recording"));
        assertTrue(corrupt("limu-recording 2\n").contains("format '2' is not one this limu reads"));
        assertEquals("x.rec: the recording ends inside its header (no 'start' line)",
                corrupt("limu-recording 1\nlimu v\n"));
        assertTrue(corrupt("limu-recording 1\nlimu v\ndate 5\nstart\n").contains("no 'kernel' line"));
        assertTrue(corrupt("limu-recording 1\nlimu v\nkernel abc /k\ndate 5\nstart\n")
                .contains("line 3: 'abc' is not a SHA-256"));
        assertTrue(corrupt(HEAD.replace("date 5", "date five")).contains("date 'five' is not a number"));
        assertTrue(corrupt(HEAD + "in 1 2 zz -\n").contains("line 6: serial bytes 'zz' are not hex"));
        assertTrue(corrupt(HEAD + "in 1 2 - -\n").contains("neither serial bytes nor keys"));
        assertTrue(corrupt(HEAD + "in 1 2 61\n").contains("5 fields"));
        assertTrue(corrupt(HEAD + "in -1 2 61 -\n").contains("loop turn '-1' is not a number"));
        assertTrue(corrupt(HEAD + "in 1 2 - NOKEY+\n").contains("no key named 'NOKEY'"));
        assertTrue(corrupt(HEAD + "in 1 2 - A\n").contains("is not NAME+ or NAME-"));
        assertTrue(corrupt(HEAD + "in 5 2 61 -\nin 5 3 62 -\n").contains("line 7: input at loop turn 5"));
        assertTrue(corrupt(HEAD + "in 5 9 61 -\nin 6 3 62 -\n").contains("does not come after"));
        assertTrue(corrupt(HEAD + "end exit=0\n").contains("the end line has no stop="));
        assertTrue(corrupt(HEAD + "end exit=0 stop=Halted stop-exit=0 blocks=1 instructions=0 turns=1 nanos=1"
                + " output=" + SHA_A + " message=ok\nin 9 9 61 -\n").contains("a line after the end line"));
        assertTrue(corrupt(HEAD + "arg x\n").contains("line 6: 'arg' is neither an input nor the end line"));
        assertTrue(corrupt(HEAD.replace("start\n", "arg a%4\nstart\n")).contains("without two hex digits"));
        assertTrue(corrupt(HEAD.replace("start\n", "arg a\tb\nstart\n")).contains("outside printable ASCII"));
        assertTrue(corrupt(HEAD.replace("date 5\n", "date 5\ndate 6\n")).contains("a second 'date' line"));
        assertTrue(corrupt(HEAD + "bogus\n").contains("line 6: 'bogus' is neither an input nor the end line"));
    }

    @Test
    void escapingKeepsAnyTextAsOneWord() {
        for (String t : List.of("", "%", "a b", "x=y%20", "tab\there", "ünï€", "%%%")) {
            String w = RecordingFormat.escape(t);
            assertTrue(w.matches("[!-~]+") && !w.contains(" "), w);
            assertEquals(t, RecordingFormat.unescape(w));
        }
    }
}
