// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import java.io.PrintWriter;
import java.util.Arrays;
import limu.emulator.Debugger.Resume;
import limu.emulator.Debugger.Stop;
import limu.emulator.Machine;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;

/**
 * Serves gdb's packets on the run-loop thread while the machine is stopped, and keeps the session's
 * state: the CPU for registers and memory (Hg), the CPU to step (Hc), the last stop, and whether the
 * client waits for a stop reply. Memory goes through the selected CPU's page tables.
 */
final class PacketDispatcher {
    private final Machine machine;
    private final Breakpoints breakpoints;
    private final Queries queries;
    private final PrintWriter log;
    private final Runnable endSession;

    private int gCpu;                 // Hg: the CPU for registers and memory
    private int cCpu = -1;            // Hc: the CPU to step (-1: gCpu)
    private Stop lastStop;
    private boolean resumed;          // the client waits for a stop reply

    /** {@code endSession} drops the client, its breakpoints and this session's state (detach, kill). */
    PacketDispatcher(Machine machine, Breakpoints breakpoints, Queries queries, PrintWriter log,
                     Runnable endSession) {
        this.machine = machine;
        this.breakpoints = breakpoints;
        this.queries = queries;
        this.log = log;
        this.endSession = endSession;
    }

    /** The machine stopped: a resumed client gets its stop reply now. */
    void stopped(Stop stop, GdbTransport.Client client) {
        lastStop = stop;
        if (stop.kind() != Stop.Kind.INTERRUPTED || resumed) {
            gCpu = stop.cpu();
        }
        if (resumed && client != null) {
            resumed = false;
            client.send(stopReply(stop));
        }
    }

    /** The client resumed the machine and waits for a stop reply. */
    boolean awaitingStop() {
        return resumed;
    }

    /** Forgets the session (the client left). */
    void reset() {
        resumed = false;
        gCpu = 0;
        cCpu = -1;
    }

    /** Serves one event; a non-null result resumes the machine. */
    Resume serve(GdbTransport.Client c, PacketReader.Event e) {
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

    private Resume packet(GdbTransport.Client c, String p, byte[] raw) {
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
            case 'b' -> reverse(c, p);
            case 'H' -> c.send(selectThread(p));
            case 'T' -> c.send(thread(p.substring(1)) >= 0 ? "OK" : "E01");
            case 'Z', 'z' -> c.send(breakpoints.change(p.charAt(0) == 'Z', p.substring(1), engine()));
            case 'D' -> {
                c.send("OK");
                log.println("limu: gdb: client detached; the machine runs on");
                log.flush();
                endSession.run();
                return Resume.CONTINUE;
            }
            case 'k' -> {
                return kill();
            }
            case 'q', 'Q' -> {
                c.send(queries.answer(p, gCpu, c));
                Stop moved = queries.takeMoved();
                if (moved != null) {
                    lastStop = moved;
                    gCpu = moved.cpu();
                }
            }
            case 'v' -> {
                return verbose(c, p);
            }
            default -> c.send("");
        }
        return null;
    }

    /**
     * bs (reverse step) and bc (reverse continue): the machine goes back in its history and the reply is the
     * stop there, as after a resume; at the history's start, {@code replaylog:begin}.
     */
    private void reverse(GdbTransport.Client c, String p) {
        if (p.length() != 2 || (p.charAt(1) != 's' && p.charAt(1) != 'c')) {
            c.send("");
            return;
        }
        var travel = machine.timeTravel();
        if (travel.isEmpty()) {
            c.send("E01");
            return;
        }
        Stop stop;
        try {
            stop = p.charAt(1) == 's' ? travel.get().reverseStep(stepCpu()) : travel.get().reverseContinue();
        } catch (limu.emulator.TimeTravel.Unavailable | IllegalStateException e) {
            log.println("limu: gdb: reverse execution failed: " + e.getMessage());
            log.flush();
            c.send("E01");
            return;
        }
        lastStop = stop;
        gCpu = stop.cpu();
        c.send(stopReply(stop));
    }

    /** Hg/Hc: the CPU for registers and memory, or the CPU to step. */
    private String selectThread(String p) {
        if (p.length() < 3) {
            return "E01";
        }
        int cpu = thread(p.substring(2));
        if (cpu == ThreadIds.INVALID || (cpu == ThreadIds.ALL && p.charAt(1) == 'g')) {
            return "E01";
        } else if (p.charAt(1) == 'g') {
            gCpu = cpu;
            return "OK";
        } else if (p.charAt(1) == 'c') {
            // "any thread" (0) is the Hg thread when the step comes, as gdb means it (bs names no thread)
            cCpu = p.substring(2).equals("0") ? -1 : cpu;
            return "OK";
        }
        return "E01";
    }

    private Resume verbose(GdbTransport.Client c, String p) {
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
                int cpu = colon < 0 ? ThreadIds.ALL : thread(action.substring(colon + 1));
                if (cpu == ThreadIds.INVALID || "cCsS".indexOf(a) < 0) {
                    throw new IllegalArgumentException("bad vCont action");
                }
                if ((a == 's' || a == 'S') && step < 0) {
                    step = cpu >= 0 ? cpu : stepCpu();
                }
            }
            return resume(step);
        } else if (p.startsWith("vKill")) {
            c.send("OK");
            return kill();
        } else {
            c.send("");
        }
        return null;
    }

    private Resume kill() {
        log.println("limu: gdb: killed by the client");
        log.flush();
        endSession.run();
        return Resume.KILL;
    }

    private Engine engine() {
        return machine.engine(gCpu);
    }

    private int stepCpu() {
        return cCpu >= 0 ? cCpu : gCpu;
    }

    private int thread(String id) {
        return ThreadIds.cpu(id, gCpu, machine.cpuCount());
    }

    private Resume resume(int stepCpu) {
        resumed = true;
        return stepCpu < 0 ? Resume.CONTINUE : Resume.step(stepCpu);
    }

    /** The stop reply packet: T02 for Ctrl-C (SIGINT), T05 (SIGTRAP) with the thread and the reason. */
    private String stopReply(Stop s) {
        if (s == null) {
            return "T05thread:" + ThreadIds.of(gCpu) + ";";
        }
        String t = "thread:" + ThreadIds.of(s.cpu()) + ";";
        return switch (s.kind()) {
            case INTERRUPTED -> "T02" + t;
            case HISTORY_START -> "T05replaylog:begin;" + t;
            case BREAKPOINT, WATCHPOINT -> "T05" + t + breakpoints.reason(s);
            default -> "T05" + t;
        };
    }

    private static long[] addressAndLength(String s) {
        int comma = s.indexOf(',');
        return new long[] {Rsp.number(s.substring(0, comma)), Rsp.number(s.substring(comma + 1))};
    }

    /** m: through the selected CPU's page tables, page by page; a short read stops at the first hole. */
    private String readMemory(String args) {
        long[] al = addressAndLength(args);
        long address = al[0];
        long cap = GdbTransport.MAX_PACKET / 2 - 32;   // a longer request gets a short read, as the protocol allows
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
                engine().writePhysical(physical, Arrays.copyOfRange(data, done, done + n));
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
}
