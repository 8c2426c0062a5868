package limu.emulator.gdb;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;
import limu.emulator.Debugger;
import limu.emulator.Machine;
import limu.emulator.StopReason;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.MemoryAccess;
import limu.emulator.unicorn.Register;

/**
 * The GDB remote stub: {@code limu run --gdb}. One client at a time; every CPU
 * is a thread (thread id = CPU index + 1).
 *
 * <p>Threads: an accept thread and one reader thread per client only move
 * bytes. The reader acknowledges packets, turns Ctrl-C (0x03) into
 * {@link Machine#requestDebugStop()}, and puts everything on a queue. The
 * packets themselves are served on the run-loop thread, inside
 * {@link #stopped}, while the machine is stopped: the engines are only ever
 * touched from that one thread. gdb's all-stop mode means no packet but
 * Ctrl-C arrives while the machine runs.
 */
public final class GdbServer implements Debugger, AutoCloseable {
    /** PacketSize we advertise (hex 4000 = 16 KiB), and the longest payload we accept. */
    static final int MAX_PACKET = 0x4000;

    private sealed interface Event {
    }

    private record Connected(Client client) implements Event {
    }

    private record Disconnected(Client client) implements Event {
    }

    private record Received(Client client, PacketReader.Event event) implements Event {
    }

    private final Machine machine;
    private final ServerSocket socket;
    private final boolean waitAtEntry;
    private final PrintWriter log;
    private final Monitor monitor;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Thread acceptor;
    private volatile Client client;
    private volatile boolean inDebugger;
    private volatile boolean closed;
    private volatile boolean ctrlC;   // the client sent 0x03 (else a debug stop is an attach)

    // session state: run-loop thread only
    private int gCpu;                 // Hg: the CPU for registers and memory
    private int cCpu = -1;            // Hc: the CPU to step (-1: gCpu)
    private Stop lastStop;
    private boolean resumed;          // the client waits for a stop reply
    private final Map<Long, Integer> breakpoints = new TreeMap<>();   // address -> bit 0 software, bit 1 hardware
    private final List<Watch> watches = new ArrayList<>();

    /** A gdb watchpoint (Z2 write, Z3 read, Z4 access) and the physical pieces it covers. */
    private record Watch(int type, long address, int length, List<Engine.Watchpoint> pieces) {
    }

    private GdbServer(Machine machine, ServerSocket socket, boolean waitAtEntry, Supplier<String> serial,
                      LocalApicView lapic, PrintWriter log) {
        this.machine = machine;
        this.socket = socket;
        this.waitAtEntry = waitAtEntry;
        this.log = log;
        this.monitor = new Monitor(machine, serial, lapic);
        this.acceptor = new Thread(this::acceptLoop, "limu-gdb-accept");
        acceptor.setDaemon(true);
    }

    /** Listens on {@code address} (IOException when the port is taken) and accepts clients from now on. */
    public static GdbServer start(Machine machine, InetSocketAddress address, boolean waitAtEntry,
                                  Supplier<String> serial, LocalApicView lapic, PrintWriter log) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        try {
            s.bind(address, 1);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        GdbServer g = new GdbServer(machine, s, waitAtEntry, serial, lapic, log);
        g.acceptor.start();
        return g;
    }

    public int port() {
        return socket.getLocalPort();
    }

    // ------------------------------------------------------------------ socket threads

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = socket.accept();
            } catch (IOException e) {
                return;
            }
            if (client != null) {
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
                if (!inDebugger) {
                    machine.requestDebugStop();    // as QEMU: an attaching debugger stops the machine
                }
                c.start();
            } catch (IOException e) {
                closeQuietly(s);
            }
        }
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
    private final class Client {
        final Socket socket;
        final OutputStream out;
        volatile boolean noAck;
        private byte[] last;

        Client(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        void start() {
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
                machine.requestDebugStop();   // the run loop drops the breakpoints and goes on without us
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
                    machine.requestDebugStop();
                }
                events.add(new Received(this, e));
            }
        }

        synchronized void send(String payload) {
            last = Rsp.frame(payload);
            raw(last);
        }

        synchronized void resend() {
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

        void close() {
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

    // ------------------------------------------------------------------ Debugger (run-loop thread)

    @Override
    public boolean attached() {
        return client != null;
    }

    @Override
    public boolean stopAtEntry() {
        return waitAtEntry;
    }

    @Override
    public Resume stopped(Stop stop) {
        inDebugger = true;
        try {
            if (stop.kind() == Stop.Kind.INTERRUPTED && !ctrlC) {
                stop = new Stop(Stop.Kind.ENTRY, stop.cpu(), 0, MemoryAccess.NONE);   // stopped for an attach
            }
            ctrlC = false;
            boolean waitForClient = waitAtEntry && stop.kind() == Stop.Kind.ENTRY;
            lastStop = stop;
            if (stop.kind() != Stop.Kind.INTERRUPTED || resumed) {
                gCpu = stop.cpu();
            }
            Client c = client;
            if (resumed && c != null) {
                resumed = false;
                c.send(stopReply(stop));
            }
            while (true) {
                if (client == null && !(waitForClient && !closed)) {
                    return Resume.CONTINUE;
                }
                Event e;
                try {
                    e = events.take();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return Resume.CONTINUE;
                }
                if (e instanceof Connected) {
                    waitForClient = false;   // from now on, a lost client means: run on
                    continue;
                }
                if (e instanceof Disconnected d) {
                    if (d.client() == client) {
                        log.println("limu: gdb: client disconnected; the machine runs on");
                        log.flush();
                        dropClient();
                    }
                    continue;
                }
                Received r = (Received) e;
                if (r.client() != client) {
                    continue;
                }
                Resume resume = serve(r.client(), r.event());
                if (resume != null) {
                    return resume;
                }
            }
        } finally {
            inDebugger = false;
        }
    }

    /** The run ended (guest exit, halt, crash, timeout): tell a waiting client, and stop listening. */
    public void finished(StopReason reason) {
        Client c = client;
        if (c != null && resumed && reason != null) {
            c.send(String.format("W%02x", reason.exitCode() & 0xff));
        }
        close();
    }

    @Override
    public void close() {
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

    private void dropClient() {
        Client c = client;
        client = null;
        if (c != null) {
            c.close();
        }
        resumed = false;
        for (long a : breakpoints.keySet()) {
            for (int i = 0; i < machine.cpuCount(); i++) {
                machine.engine(i).setBreakpoint(a, false);
            }
        }
        breakpoints.clear();
        watches.clear();
        applyWatches();
        gCpu = 0;
        cCpu = -1;
    }

    // ------------------------------------------------------------------ packets

    /** Serves one event; a non-null result resumes the machine. */
    private Resume serve(Client c, PacketReader.Event e) {
        if (e instanceof PacketReader.TooLong) {
            c.send("E01");
            return null;
        }
        if (e instanceof PacketReader.Interrupt) {
            if (resumed) {              // a Ctrl-C that raced with a stop: the stop reply is the answer
                resumed = false;
                c.send(stopReply(lastStop));
            }
            return null;
        }
        String p = ((PacketReader.Packet) e).text();
        try {
            return packet(c, p, ((PacketReader.Packet) e).payload());
        } catch (IllegalArgumentException | IndexOutOfBoundsException ex) {
            c.send("E01");               // malformed arguments
            return null;
        } catch (RuntimeException ex) {
            // a request the engine refused (never a reason to end the run): say so, answer an error
            log.println("limu: gdb: '" + (p.length() > 40 ? p.substring(0, 40) + "..." : p) + "' failed: " + ex);
            log.flush();
            c.send("E01");
            return null;
        }
    }

    private Resume packet(Client c, String p, byte[] raw) {
        if (p.isEmpty()) {
            c.send("");
            return null;
        }
        switch (p.charAt(0)) {
            case '?' -> c.send(stopReply(lastStop));
            case 'g' -> c.send(RegisterFile.readAll(engine()));
            case 'G' -> c.send(RegisterFile.writeAll(engine(), Rsp.unhex(p.substring(1))) ? "OK" : "E01");
            case 'p' -> {
                int n = (int) Rsp.number(p.substring(1));
                c.send(RegisterFile.size(n) == 0 ? "E45" : RegisterFile.read(engine(), n, engine().readFpu()));
            }
            case 'P' -> {
                int eq = p.indexOf('=');
                int n = (int) Rsp.number(p.substring(1, eq));
                c.send(RegisterFile.size(n) != 0 && RegisterFile.write(engine(), n, Rsp.unhex(p.substring(eq + 1)))
                        ? "OK" : "E01");
            }
            case 'm' -> c.send(readMemory(p.substring(1)));
            case 'M' -> {
                int colon = p.indexOf(':');
                c.send(writeMemory(p.substring(1, colon), Rsp.unhex(p.substring(colon + 1))));
            }
            case 'X' -> {
                int colon = p.indexOf(':');
                c.send(writeMemory(p.substring(1, colon), Rsp.unescape(raw, colon + 1)));
            }
            case 'c', 's' -> {
                if (p.length() > 1) {
                    machine.engine(stepCpu()).write(Register.RIP, Rsp.number(p.substring(1)));
                }
                return resume(p.charAt(0) == 's' ? stepCpu() : -1);
            }
            case 'C', 'S' -> {
                int semi = p.indexOf(';');
                if (semi > 0) {
                    machine.engine(stepCpu()).write(Register.RIP, Rsp.number(p.substring(semi + 1)));
                }
                return resume(p.charAt(0) == 'S' ? stepCpu() : -1);
            }
            case 'H' -> {
                if (p.length() < 3) {
                    c.send("E01");
                    return null;
                }
                int cpu = thread(p.substring(2));
                if (cpu == -2 || (cpu == -1 && p.charAt(1) == 'g')) {
                    c.send("E01");
                } else if (p.charAt(1) == 'g') {
                    gCpu = cpu;
                    c.send("OK");
                } else if (p.charAt(1) == 'c') {
                    cCpu = cpu;
                    c.send("OK");
                } else {
                    c.send("E01");
                }
            }
            case 'T' -> c.send(thread(p.substring(1)) >= 0 ? "OK" : "E01");
            case 'Z', 'z' -> c.send(breakpoint(p.charAt(0) == 'Z', p.substring(1)));
            case 'D' -> {
                c.send("OK");
                log.println("limu: gdb: client detached; the machine runs on");
                log.flush();
                dropClient();
                return Resume.CONTINUE;
            }
            case 'k' -> {
                log.println("limu: gdb: killed by the client");
                log.flush();
                dropClient();
                return Resume.KILL;
            }
            case 'q', 'Q' -> c.send(query(p));
            case 'v' -> {
                return verbose(c, p);
            }
            default -> c.send("");
        }
        return null;
    }

    private Engine engine() {
        return machine.engine(gCpu);
    }

    private int stepCpu() {
        return cCpu >= 0 ? cCpu : gCpu;
    }

    private Resume resume(int stepCpu) {
        resumed = true;
        return stepCpu < 0 ? Resume.CONTINUE : Resume.step(stepCpu);
    }

    /** A thread id (hex; "p1.2" form too): the CPU index, -1 for "all", gCpu for "any", -2 when invalid. */
    private int thread(String id) {
        String t = id;
        if (t.startsWith("p")) {
            int dot = t.indexOf('.');
            t = dot < 0 ? "-1" : t.substring(dot + 1);
        }
        if (t.equals("-1")) {
            return -1;
        }
        long n;
        try {
            n = Rsp.number(t);
        } catch (IllegalArgumentException e) {
            return -2;
        }
        if (n == 0) {
            return gCpu;
        }
        return n <= machine.cpuCount() ? (int) n - 1 : -2;
    }

    private static String tid(int cpu) {
        return Integer.toHexString(cpu + 1);
    }

    private String stopReply(Stop s) {
        if (s == null) {
            return "T05thread:" + tid(gCpu) + ";";
        }
        String t = "thread:" + tid(s.cpu()) + ";";
        return switch (s.kind()) {
            case INTERRUPTED -> "T02" + t;
            case BREAKPOINT -> {
                Integer kind = breakpoints.get(s.address());
                yield "T05" + t + (kind != null && (kind & 1) == 0 ? "hwbreak:;" : "swbreak:;");
            }
            case WATCHPOINT -> {
                Watch w = watchOf((int) s.address());
                String why = w == null ? "" : switch (w.type()) {
                    case 3 -> "rwatch:";
                    case 4 -> "awatch:";
                    default -> "watch:";
                } + Long.toHexString(w.address()) + ";";
                yield "T05" + t + why;
            }
            default -> "T05" + t;
        };
    }

    private Watch watchOf(int pieceIndex) {
        int i = 0;
        for (Watch w : watches) {
            i += w.pieces().size();
            if (pieceIndex < i) {
                return w;
            }
        }
        return null;
    }

    private String query(String p) {
        if (p.startsWith("qSupported")) {
            return "PacketSize=" + Integer.toHexString(MAX_PACKET)
                    + ";qXfer:features:read+;vContSupported+;swbreak+;hwbreak+;QStartNoAckMode+";
        }
        if (p.equals("QStartNoAckMode")) {
            return "OK";
        }
        if (p.startsWith("qXfer:features:read:")) {
            String[] a = p.substring("qXfer:features:read:".length()).split(":");
            String[] range = a[1].split(",");
            return TargetDescription.read(a[0], Rsp.number(range[0]), Rsp.number(range[1]));
        }
        if (p.startsWith("qXfer:")) {
            return "";
        }
        switch (p) {
            case "qfThreadInfo": {
                StringBuilder s = new StringBuilder("m");
                for (int i = 0; i < machine.cpuCount(); i++) {
                    s.append(i == 0 ? "" : ",").append(tid(i));
                }
                return s.toString();
            }
            case "qsThreadInfo":
                return "l";
            case "qC":
                return "QC" + tid(gCpu);
            case "qAttached":
                return "1";
            case "qSymbol::":
                return "OK";
            case "qOffsets": {
                // gdb reads the kernel's symbols from the ELF at their link addresses; a relocated kernel runs
                // slid by this much, and gdb adds it to every section when told here (gdb's "Remote Protocol",
                // General Query Packets).
                String slide = Long.toHexString(machine.plan().kernelSlide());
                return "Text=" + slide + ";Data=" + slide;
            }
            default:
                break;
        }
        if (p.startsWith("qAttached:")) {
            return "1";
        }
        if (p.startsWith("qThreadExtraInfo,")) {
            int cpu = thread(p.substring("qThreadExtraInfo,".length()));
            if (cpu < 0) {
                return "E01";
            }
            return Rsp.hex("CPU " + cpu + " " + machine.cpuState(cpu));
        }
        if (p.startsWith("qRcmd,")) {
            String command = new String(Rsp.unhex(p.substring(6)), StandardCharsets.UTF_8);
            String out = monitor.run(command, gCpu);
            Client c = client;
            for (int i = 0; i < out.length(); i += 512) {
                c.send("O" + Rsp.hex(out.substring(i, Math.min(out.length(), i + 512))));
            }
            return "OK";
        }
        return "";   // qTStatus, qOffsets and whatever we do not know: "not supported"
    }

    private Resume verbose(Client c, String p) {
        if (p.equals("vMustReplyEmpty")) {
            c.send("");
        } else if (p.equals("vCont?")) {
            c.send("vCont;c;C;s;S");
        } else if (p.startsWith("vCont;")) {
            int step = -1;
            for (String action : p.substring(6).split(";")) {
                if (action.isEmpty()) {
                    throw new IllegalArgumentException("empty vCont action");
                }
                char a = action.charAt(0);
                int colon = action.indexOf(':');
                int cpu = colon < 0 ? -1 : thread(action.substring(colon + 1));
                if (cpu == -2 || "cCsS".indexOf(a) < 0) {
                    throw new IllegalArgumentException("bad vCont action");
                }
                if ((a == 's' || a == 'S') && step < 0) {
                    step = cpu >= 0 ? cpu : stepCpu();
                }
            }
            return resume(step);
        } else if (p.startsWith("vKill")) {
            c.send("OK");
            log.println("limu: gdb: killed by the client");
            log.flush();
            dropClient();
            return Resume.KILL;
        } else {
            c.send("");
        }
        return null;
    }

    // ------------------------------------------------------------------ memory

    private static long[] addressAndLength(String s) {
        int comma = s.indexOf(',');
        return new long[] {Rsp.number(s.substring(0, comma)), Rsp.number(s.substring(comma + 1))};
    }

    /** m: through the selected CPU's page tables, page by page; a short read stops at the first hole. */
    private String readMemory(String args) {
        long[] al = addressAndLength(args);
        long address = al[0];
        long cap = MAX_PACKET / 2 - 32;      // a longer request gets a short read, as the protocol allows
        int length = (int) (al[1] < 0 || al[1] > cap ? cap : al[1]);
        StringBuilder s = new StringBuilder(length * 2);
        while (length > 0) {
            int n = (int) Math.min(length, 0x1000 - (address & 0xfff));
            byte[] b = new byte[n];
            if (!engine().readVirtual(address, b)) {
                break;
            }
            s.append(Rsp.hex(b));
            address += n;
            length -= n;
        }
        return s.length() == 0 && al[1] > 0 ? "E14" : s.toString();
    }

    /** M/X: into RAM through the page tables; translated code there is dropped on every CPU. */
    private String writeMemory(String args, byte[] data) {
        long[] al = addressAndLength(args);
        if (al[1] != data.length) {
            return "E01";
        }
        long address = al[0];
        int done = 0;
        while (done < data.length) {
            int n = (int) Math.min(data.length - done, 0x1000 - (address & 0xfff));
            long physical = engine().translate(address);
            if (physical < 0) {
                return "E14";
            }
            try {
                engine().writePhysical(physical, java.util.Arrays.copyOfRange(data, done, done + n));
            } catch (RuntimeException e) {
                return "E14";        // not RAM (a device window)
            }
            address += n;
            done += n;
        }
        for (int i = 0; i < machine.cpuCount(); i++) {
            machine.engine(i).invalidateCode(al[0], Math.max(1, data.length));
        }
        return "OK";
    }

    // ------------------------------------------------------------------ breakpoints and watchpoints

    private String breakpoint(boolean insert, String args) {
        String[] a = args.split("[,;]");
        int type = (int) Rsp.number(a[0]);
        long address = Rsp.number(a[1]);
        long kind = Rsp.number(a[2]);
        if (type == 0 || type == 1) {
            int bit = 1 << type;
            int old = breakpoints.getOrDefault(address, 0);
            int now = insert ? old | bit : old & ~bit;
            if ((old == 0) != (now == 0)) {
                for (int i = 0; i < machine.cpuCount(); i++) {
                    if (!machine.engine(i).setBreakpoint(address, now != 0) && insert) {
                        for (int j = 0; j < i; j++) {
                            machine.engine(j).setBreakpoint(address, false);
                        }
                        return "E28";
                    }
                }
            }
            if (now == 0) {
                breakpoints.remove(address);
            } else {
                breakpoints.put(address, now);
            }
            return "OK";
        }
        if (type >= 2 && type <= 4) {
            if (kind <= 0 || kind > 4096) {
                return "E22";
            }
            if (!insert) {
                watches.removeIf(w -> w.type() == type && w.address() == address && w.length() == kind);
                applyWatches();
                return "OK";
            }
            List<Engine.Watchpoint> pieces = new ArrayList<>();
            long at = address;
            long left = kind;
            while (left > 0) {
                int n = (int) Math.min(left, 0x1000 - (at & 0xfff));
                long physical = engine().translate(at);
                if (physical < 0) {
                    return "E14";
                }
                pieces.add(new Engine.Watchpoint(physical, n, type != 2, type != 3));
                at += n;
                left -= n;
            }
            Watch w = new Watch(type, address, (int) kind, pieces);
            watches.add(w);
            if (!applyWatches()) {
                watches.remove(w);
                applyWatches();
                return "E28";
            }
            return "OK";
        }
        return "";
    }

    private boolean applyWatches() {
        List<Engine.Watchpoint> all = new ArrayList<>();
        watches.forEach(w -> all.addAll(w.pieces()));
        boolean ok = true;
        for (int i = 0; i < machine.cpuCount(); i++) {
            ok &= machine.engine(i).setWatchpoints(all);
        }
        return ok;
    }
}
