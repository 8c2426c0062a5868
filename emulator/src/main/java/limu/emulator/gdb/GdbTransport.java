// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The stub's socket side: an accept thread and one reader thread per client that only move bytes.
 * The reader acknowledges packets ({@code +}/{@code -} until no-ack mode), resends the last packet on
 * a {@code -}, turns the Ctrl-C byte (0x03, outside packet framing) into a debug stop, and queues
 * everything for the run-loop thread, which serves the packets while the machine is stopped. One
 * client at a time: a second one gets an error and is closed.
 */
final class GdbTransport {
    /** PacketSize we advertise (hex 4000 = 16 KiB), and the longest payload we accept. */
    static final int MAX_PACKET = 0x4000;

    /** What the socket threads hand to the run-loop thread. */
    sealed interface Event {
    }

    record Connected(Client client) implements Event {
    }

    record Disconnected(Client client) implements Event {
    }

    record Received(Client client, PacketReader.Event event) implements Event {
    }

    private final ServerSocket socket;
    private final Runnable debugStop;
    /** How long a new connection waits for a detaching client to be dropped before it is refused. */
    static final long REATTACH_GRACE_MILLIS = 2000;

    private final PrintWriter log;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Thread acceptor;
    private volatile Client client;
    private volatile boolean inDebugger;
    private volatile boolean closed;
    private volatile boolean ctrlC;   // the client sent 0x03 (else a debug stop is an attach)

    private GdbTransport(ServerSocket socket, Runnable debugStop, PrintWriter log) {
        this.socket = socket;
        this.debugStop = debugStop;
        this.log = log;
        this.acceptor = new Thread(this::acceptLoop, "limu-gdb-accept");
        acceptor.setDaemon(true);
    }

    /**
     * Listens on {@code address} (IOException when the port is taken); {@link #start} accepts clients.
     * {@code debugStop} asks the run loop to stop the machine (an attach, Ctrl-C, a lost client).
     */
    static GdbTransport listen(InetSocketAddress address, Runnable debugStop, PrintWriter log) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        try {
            s.bind(address, 1);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new GdbTransport(s, debugStop, log);
    }

    void start() {
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    /** The attached client, or null. */
    Client client() {
        return client;
    }

    boolean closed() {
        return closed;
    }

    /** The next event (blocks). */
    Event next() throws InterruptedException {
        return events.take();
    }

    /**
     * The run loop is serving packets (true) or running the machine (false): only then is a stop requested.
     * A client that attached while the run loop was on its way out of the debugger (right after the previous
     * one detached) gets the stop it is owed here, once: either the acceptor or this asks for it.
     */
    void inDebugger(boolean serving) {
        inDebugger = serving;
        Client c = client;
        if (!serving && c != null && c.stopAsked.compareAndSet(false, true)) {
            debugStop.run();
        }
    }

    /** Whether the client sent Ctrl-C since the last call. */
    boolean takeInterrupt() {
        boolean sent = ctrlC;
        ctrlC = false;
        return sent;
    }

    /** Closes the client's connection; the next gdb may attach. */
    void dropClient() {
        Client c = client;
        client = null;
        if (c != null) {
            c.close();
        }
    }

    /** Stops listening and closes the client. */
    void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
        Client c = client;
        if (c != null) {
            c.close();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = socket.accept();
            } catch (IOException e) {
                return;
            }
            if (!previousClientGone()) {
                refuse(s);
                continue;
            }
            try {
                s.setTcpNoDelay(true);
                Client c = new Client(s);
                client = c;
                log.println("limu: gdb: client " + s.getRemoteSocketAddress() + " attached");
                log.flush();
                events.add(new Connected(c));
                if (!inDebugger && c.stopAsked.compareAndSet(false, true)) {
                    debugStop.run();    // as QEMU: an attaching debugger stops the machine
                }
                c.start();
            } catch (IOException e) {
                closeQuietly(s);
            }
        }
    }

    /**
     * Whether no client is attached, waiting up to {@link #REATTACH_GRACE_MILLIS} for one that is on its
     * way out: a gdb that detaches gets its OK before the run loop drops it, and may connect again at once.
     */
    private boolean previousClientGone() {
        long deadline = System.nanoTime() + REATTACH_GRACE_MILLIS * 1_000_000L;
        while (client != null && !closed) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** A second client gets an error packet and is closed; the first one is not disturbed. */
    private void refuse(Socket s) {
        try (s) {
            OutputStream out = s.getOutputStream();
            out.write(Rsp.frame("E01"));
            out.write(Rsp.frame("O" + Rsp.hex("limu: another gdb is already attached\n")));
            out.flush();
        } catch (IOException e) {
            // it left already
        }
        log.println("limu: gdb: refused a second client from " + s.getRemoteSocketAddress());
        log.flush();
    }

    /** One connected gdb: its socket and its reader thread. */
    final class Client {
        private final Socket socket;
        private final OutputStream out;
        private volatile boolean noAck;
        /** The machine stopped, or was asked to stop, for this client's attach. */
        final java.util.concurrent.atomic.AtomicBoolean stopAsked = new java.util.concurrent.atomic.AtomicBoolean();
        private byte[] last;

        Client(Socket socket) throws IOException {   // package-private: the dispatcher fuzz target makes one
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        private void start() {
            Thread t = new Thread(this::readLoop, "limu-gdb-reader");
            t.setDaemon(true);
            t.start();
        }

        private void readLoop() {
            PacketReader reader = new PacketReader(MAX_PACKET, this::received);
            byte[] buf = new byte[8192];
            try (InputStream in = socket.getInputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    reader.feed(buf, 0, n);
                }
            } catch (IOException e) {
                // an abrupt disconnect is a disconnect
            }
            events.add(new Disconnected(this));
            if (!inDebugger && client == this) {
                debugStop.run();   // the run loop drops the breakpoints and goes on without us
            }
        }

        private void received(PacketReader.Event e) {
            if (e instanceof PacketReader.Packet p) {
                if (!noAck) {
                    raw(new byte[] {'+'});
                }
                if (p.text().equals("QStartNoAckMode")) {
                    noAck = true;   // gdb sends nothing more before our OK
                }
                events.add(new Received(this, e));
            } else if (e instanceof PacketReader.BadChecksum) {
                if (!noAck) {
                    raw(new byte[] {'-'});
                }
            } else if (e instanceof PacketReader.TooLong) {
                if (!noAck) {
                    raw(new byte[] {'+'});
                }
                events.add(new Received(this, e));
            } else if (e instanceof PacketReader.Nak) {
                resend();
            } else if (e instanceof PacketReader.Interrupt) {
                ctrlC = true;
                if (!inDebugger) {
                    debugStop.run();
                }
                events.add(new Received(this, e));
            }
        }

        /** Sends one packet (framed, with its checksum) and keeps it for a resend. */
        synchronized void send(String payload) {
            last = Rsp.frame(payload);
            raw(last);
        }

        private synchronized void resend() {
            if (last != null) {
                raw(last);
            }
        }

        private synchronized void raw(byte[] b) {
            try {
                out.write(b);
                out.flush();
            } catch (IOException e) {
                closeQuietly(socket);
            }
        }

        private void close() {
            closeQuietly(socket);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
