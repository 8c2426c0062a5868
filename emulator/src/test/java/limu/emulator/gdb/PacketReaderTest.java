// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The protocol framing and encodings, fuzzed with generated input. */
class PacketReaderTest {
    private final List<PacketReader.Event> events = new ArrayList<>();
    private final PacketReader reader = new PacketReader(64, events::add);

    private void feed(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        reader.feed(b, 0, b.length);
    }

    @Test
    void framesAcksInterruptsAndChecksums() {
        feed("+-\u0003" + new String(Rsp.frame("qSupported"), StandardCharsets.ISO_8859_1) + "$g#00");
        assertInstanceOf(PacketReader.Ack.class, events.get(0));
        assertInstanceOf(PacketReader.Nak.class, events.get(1));
        assertInstanceOf(PacketReader.Interrupt.class, events.get(2));
        assertEquals("qSupported", ((PacketReader.Packet) events.get(3)).text());
        assertInstanceOf(PacketReader.BadChecksum.class, events.get(4));
        events.clear();
        feed("$" + "a".repeat(100) + "#00");
        assertInstanceOf(PacketReader.TooLong.class, events.get(0));
        events.clear();
        feed("$abc$g#67");                      // a packet cut short by a new one
        assertEquals("g", ((PacketReader.Packet) events.get(0)).text());
    }

    @Test
    void generatedGarbageNeverThrowsAndNeverHidesAGoodPacket() {
        Random random = new Random(2024);
        for (int round = 0; round < 20_000; round++) {
            events.clear();
            byte[] junk = new byte[random.nextInt(200)];
            random.nextBytes(junk);
            if (random.nextBoolean()) {                  // bias towards protocol characters
                for (int i = 0; i < junk.length; i++) {
                    if (random.nextInt(4) == 0) {
                        junk[i] = (byte) "$#+-}\u0003*0a"
                                .charAt(random.nextInt(9));
                    }
                }
            }
            reader.feed(junk, 0, junk.length);
            // whatever state the garbage left, a complete packet after a '$' is read intact
            String payload = "m" + Long.toHexString(random.nextLong()) + "," + random.nextInt(100);
            byte[] good = Rsp.frame(payload);
            events.clear();
            reader.feed(good, 0, good.length);
            assertTrue(events.stream().anyMatch(e -> e instanceof PacketReader.Packet p && p.text().equals(payload)),
                    "round " + round + ": " + events);
        }
    }

    @Test
    void numbersHexAndEscapesRejectMalformedInputWithIllegalArgumentOnly() {
        Random random = new Random(99);
        String alphabet = "0123456789abcdefABCDEFxyz,:;-# }";
        for (int i = 0; i < 50_000; i++) {
            StringBuilder s = new StringBuilder();
            for (int n = random.nextInt(20); n > 0; n--) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            try {
                Rsp.number(s.toString());
            } catch (IllegalArgumentException e) {
                // expected for malformed input
            }
            try {
                Rsp.unhex(s.toString());
            } catch (IllegalArgumentException e) {
                // expected
            }
            Rsp.unescape(s.toString().getBytes(StandardCharsets.ISO_8859_1), 0);
            TargetDescription.read(random.nextBoolean() ? "target.xml" : s.toString(), random.nextInt(10_000),
                    random.nextInt(5000) - 100);
        }
        assertArrayEquals(new byte[] {'#', '$', '}'}, Rsp.unescape(new byte[] {'}', 0x03, '}', 0x04, '}', 0x5d}, 0));
        assertEquals(0xffffffff80000000L, Rsp.number("ffffffff80000000"));
    }

    @Test
    void theTargetDescriptionMatchesTheRegisterFile() {
        int bytes = 0;
        for (int n = 0; n < RegisterFile.COUNT; n++) {
            bytes += RegisterFile.size(n);
        }
        assertEquals(608, bytes, "QEMU's x86_64 g packet size");
        StringBuilder all = new StringBuilder();
        for (long off = 0; ; off += 100) {
            String chunk = TargetDescription.read("target.xml", off, 100);
            all.append(chunk.substring(1));
            if (chunk.startsWith("l")) {
                break;
            }
        }
        assertEquals(TargetDescription.XML, all.toString());
        assertTrue(TargetDescription.XML.contains("<architecture>i386:x86-64</architecture>"));
    }
}
