// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.function.Supplier;
import limu.emulator.Debugger;
import limu.emulator.Machine;
import limu.emulator.StopReason;
import limu.emulator.unicorn.MemoryAccess;

/**
 * The GDB remote stub: {@code limu run --gdb}. One client at a time; every CPU
 * is a thread (thread id = CPU index + 1).
 *
 * <p>Threads: {@link GdbTransport}'s accept and reader threads only move bytes
 * and turn Ctrl-C into {@link Machine#requestDebugStop()}. The packets
 * themselves are served on the run-loop thread, inside {@link #stopped},
 * while the machine is stopped ({@link PacketDispatcher}): the engines are
 * only ever touched from that one thread. gdb's all-stop mode means no packet
 * but Ctrl-C arrives while the machine runs.
 */
public final class GdbServer implements Debugger, AutoCloseable {
    private final GdbTransport transport;
    private final boolean waitAtEntry;
    private final PrintWriter log;
    private final Breakpoints breakpoints;
    private final PacketDispatcher dispatcher;

    private GdbServer(Machine machine, GdbTransport transport, boolean waitAtEntry, Supplier<String> serial,
                      LocalApicView lapic, PrintWriter log) {
        this.transport = transport;
        this.waitAtEntry = waitAtEntry;
        this.log = log;
        this.breakpoints = new Breakpoints(machine);
        Queries queries = new Queries(machine, new Monitor(machine, serial, lapic));
        this.dispatcher = new PacketDispatcher(machine, breakpoints, queries, log, this::dropClient);
    }

    /** Listens on {@code address} (IOException when the port is taken) and accepts clients from now on. */
    public static GdbServer start(Machine machine, InetSocketAddress address, boolean waitAtEntry,
                                  Supplier<String> serial, LocalApicView lapic, PrintWriter log) throws IOException {
        GdbTransport transport = GdbTransport.listen(address, machine::requestDebugStop, log);
        GdbServer g = new GdbServer(machine, transport, waitAtEntry, serial, lapic, log);
        transport.start();
        return g;
    }

    public int port() {
        return transport.port();
    }

    @Override
    public boolean attached() {
        return transport.client() != null;
    }

    @Override
    public boolean stopAtEntry() {
        return waitAtEntry;
    }

    @Override
    public Resume stopped(Stop stop) {
        transport.inDebugger(true);
        try {
            boolean forAttach = stop.kind() == Stop.Kind.INTERRUPTED && !transport.takeInterrupt();
            if (forAttach) {
                stop = new Stop(Stop.Kind.ENTRY, stop.cpu(), 0, MemoryAccess.NONE);   // stopped for an attach
            }
            // only the kernel's first instruction waits for a client (--gdb-wait); a stop made for an attach
            // that has meanwhile disconnected again runs on
            boolean waitForClient = waitAtEntry && stop.kind() == Stop.Kind.ENTRY && !forAttach;
            dispatcher.stopped(stop, transport.client());
            stoppedFor(transport.client());
            while (true) {
                if (transport.client() == null && !(waitForClient && !transport.closed())) {
                    return Resume.CONTINUE;
                }
                GdbTransport.Event e;
                try {
                    e = transport.next();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return Resume.CONTINUE;
                }
                if (e instanceof GdbTransport.Connected) {
                    stoppedFor(transport.client());
                    waitForClient = false;   // from now on, a lost client means: run on
                    continue;
                }
                if (e instanceof GdbTransport.Disconnected d) {
                    if (d.client() == transport.client()) {
                        log.println("limu: gdb: client disconnected; the machine runs on");
                        log.flush();
                        dropClient();
                    }
                    continue;
                }
                GdbTransport.Received r = (GdbTransport.Received) e;
                if (r.client() != transport.client()) {
                    continue;
                }
                Resume resume = dispatcher.serve(r.client(), r.event());
                if (resume != null) {
                    return resume;
                }
            }
        } finally {
            transport.inDebugger(false);
        }
    }

    /** The machine is stopped and serving {@code c}: its attach needs no other stop. */
    private static void stoppedFor(GdbTransport.Client c) {
        if (c != null) {
            c.stopAsked.set(true);
        }
    }

    /** The run ended (guest exit, halt, crash, timeout): tell a waiting client, and stop listening. */
    public void finished(StopReason reason) {
        GdbTransport.Client c = transport.client();
        if (c != null && dispatcher.awaitingStop() && reason != null) {
            c.send(String.format("W%02x", reason.exitCode() & 0xff));
        }
        close();
    }

    @Override
    public void close() {
        transport.close();
    }

    /** The client detached, was killed or disconnected: its breakpoints go, the machine runs on unwatched. */
    private void dropClient() {
        transport.dropClient();
        dispatcher.reset();
        breakpoints.clear();
    }
}
