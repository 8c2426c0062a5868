// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import limu.emulator.Debugger.Resume;
import limu.emulator.Debugger.Stop;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.MachineSnapshot;
import limu.emulator.cli.CdsTraining;
import limu.emulator.unicorn.MemoryAccess;

/**
 * Jazzer target: a gdb client's byte stream through the packet reader and then the stub's whole command
 * handling ({@link PacketDispatcher} with its breakpoints, queries and monitor commands) against a real
 * machine: limu's tiny kernel booted and stopped at its first instruction, put back from a snapshot
 * before every input, so each input meets the same machine. A packet that resumes the machine is
 * answered as if it stopped again at once. Findings: anything thrown out of the dispatcher, a request
 * failing with an exception other than the engine refusing it (logged as "failed:"), a reply that is not
 * a well-formed frame (a '$' or '#' inside the payload, a wrong checksum).
 */
class GdbDispatcherFuzzTarget {
    private static final int MAX_PAYLOAD = 4096;
    private static Machine machine;
    private static MachineSnapshot start;
    private static final ByteArrayOutputStream replies = new ByteArrayOutputStream();
    private static final StringWriter log = new StringWriter();
    private static PacketDispatcher dispatcher;
    private static Breakpoints breakpoints;
    private static GdbTransport.Client client;
    private static final Stop ENTRY = new Stop(Stop.Kind.ENTRY, 0, 0, MemoryAccess.NONE);

    /** A socket that was never connected: what the stub writes to it is kept for the checks. */
    private static final class Captured extends Socket {
        @Override
        public OutputStream getOutputStream() {
            return replies;
        }
    }

    private static synchronized void setUp() throws Exception {
        if (machine != null) {
            return;
        }
        machine = Machine.boot(MachineConfig.defaults(OutputStream.nullOutputStream()).toBuilder()
                .memoryBytes(32L << 20).build(), CdsTraining.tinyKernel(), "tiny.elf");
        start = machine.snapshot();
        PrintWriter w = new PrintWriter(log, true);
        GdbTransport transport = GdbTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                () -> { }, w);
        client = transport.new Client(new Captured());
        breakpoints = new Breakpoints(machine);
        Queries queries = new Queries(machine, new Monitor(machine, () -> "serial so far\n", LocalApicView.NONE));
        dispatcher = new PacketDispatcher(machine, breakpoints, queries, w, () -> { });
    }

    @FuzzTest(maxDuration = "1s")
    void fuzz(byte[] stream) throws Exception {
        setUp();
        machine.restore(start);
        breakpoints.clear();
        dispatcher.reset();
        dispatcher.stopped(ENTRY, client);
        replies.reset();
        log.getBuffer().setLength(0);

        List<PacketReader.Event> events = new ArrayList<>();
        new PacketReader(MAX_PAYLOAD, events::add).feed(stream, 0, stream.length);
        for (PacketReader.Event e : events) {
            if (e instanceof PacketReader.Packet || e instanceof PacketReader.TooLong
                    || e instanceof PacketReader.Interrupt) {
                Resume r = dispatcher.serve(client, e);
                if (r != null) {
                    dispatcher.stopped(ENTRY, client);   // it ran and stopped at once
                }
            }
        }
        for (String line : log.toString().split("\n")) {
            if (line.contains("' failed: ")) {
                assertTrue(line.contains("UnicornException"), "a request failed with something else: " + line);
            }
        }
        checkFrames(replies.toByteArray());
    }

    /** Replies are frames: '$', a payload without '$' or '#', '#', two hex digits of the payload's sum. */
    private static void checkFrames(byte[] out) {
        int i = 0;
        while (i < out.length) {
            assertEquals('$', out[i], "a reply starts with '$' at byte " + i);
            int sum = 0;
            int j = i + 1;
            while (j < out.length && out[j] != '#') {
                assertFalse(out[j] == '$', "'$' inside a reply's payload at byte " + j);
                sum += out[j] & 0xff;
                j++;
            }
            assertTrue(j + 2 < out.length, "reply cut short at byte " + j);
            String cs = new String(out, j + 1, 2, java.nio.charset.StandardCharsets.ISO_8859_1);
            assertEquals(String.format("%02x", sum & 0xff), cs, "checksum of the reply ending at byte " + j);
            i = j + 3;
        }
    }
}
