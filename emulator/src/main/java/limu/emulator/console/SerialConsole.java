// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.console;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import limu.emulator.Machine;
import limu.emulator.SerialSource;

/**
 * COM1's two ends for {@code limu run}: where its output goes and where its input comes from, as {@code --serial}
 * and {@code --serial-input} say.
 * <ul>
 * <li>Output: stdout ({@code stdio}), a file written through ({@code file:PATH}, or a bare path), or the TCP
 * client ({@code tcp:...}).</li>
 * <li>Input: {@code --serial-input FILE} if given, else stdin for {@code stdio}, the client for {@code tcp}, none
 * for a file. Stdin that is a terminal becomes a console: raw mode while the guest runs, QEMU's Ctrl-A keys
 * ({@link EscapeKeys}); stdin that is a regular file is read as the guest takes it (the same file gives the same
 * run); any other stdin (a pipe) is read as it comes, and its end is noted without stopping the guest.</li>
 * </ul>
 * {@link #attach} starts the input just before the run, {@link #detach()} puts the terminal back after it, and
 * {@link #close()} (also on every failure path) does both and closes what was opened.
 */
public final class SerialConsole implements AutoCloseable {
    /** What {@code limu run} says when Ctrl-A x stopped the machine. */
    public static final String QUIT_MESSAGE = "stopped from the serial console (Ctrl-A x)";

    private enum InputKind { NONE, STDIN, FILE }

    private final SerialSpec spec;
    private final OutputStream output;
    private final OutputStream outputFile;
    private final TcpSerial tcp;
    private final InputKind inputKind;
    private final Path inputFile;
    private final PrintWriter err;
    private final boolean verbose;
    private TerminalMode terminal;
    private volatile boolean quitRequested;

    private SerialConsole(SerialSpec spec, OutputStream output, OutputStream outputFile, TcpSerial tcp,
            InputKind inputKind, Path inputFile, PrintWriter err, boolean verbose) {
        this.spec = spec;
        this.output = output;
        this.outputFile = outputFile;
        this.tcp = tcp;
        this.inputKind = inputKind;
        this.inputFile = inputFile;
        this.err = err;
        this.verbose = verbose;
    }

    /**
     * Opens what {@code serial} (the {@code --serial} value) and {@code serialInput} (the {@code --serial-input}
     * value, or null) name: the output file is created, the TCP server listens. IllegalArgumentException for a
     * value that is not understood, IOException when a file or port cannot be opened.
     */
    public static SerialConsole open(String serial, String serialInput, OutputStream stdout, PrintWriter err,
            boolean verbose) throws IOException {
        SerialSpec spec = SerialSpec.parse(serial);
        Path inputFile = null;
        // a TCP client's bytes are its input unless --serial-input says otherwise; a file has none
        InputKind input = spec instanceof SerialSpec.Stdio ? InputKind.STDIN : InputKind.NONE;
        if (serialInput != null) {
            if (serialInput.equals("-")) {
                input = InputKind.STDIN;
            } else {
                inputFile = Path.of(serialInput);
                if (!Files.isReadable(inputFile) || Files.isDirectory(inputFile)) {
                    throw new IllegalArgumentException("--serial-input " + serialInput + ": cannot read it");
                }
                input = InputKind.FILE;
            }
        }
        OutputStream out = stdout;
        OutputStream file = null;
        TcpSerial tcp = null;
        if (spec instanceof SerialSpec.File f) {
            file = new FileOutputStream(f.path().toFile());   // unbuffered: COM1 hands over lines and blocks
            out = file;
        } else if (spec instanceof SerialSpec.Tcp t) {
            try {
                tcp = TcpSerial.listen(t.address());
            } catch (IOException e) {
                throw new IOException("--serial tcp: cannot listen on " + t.address() + ": " + e.getMessage(), e);
            }
            out = tcp.output();
            err.printf("limu: serial (COM1): listening on %s:%d%s%n", tcp.host(), tcp.port(),
                    t.waitForClient() ? "; the kernel starts when a client connects" : "");
            err.flush();
        }
        return new SerialConsole(spec, out, file, tcp, input, inputFile, err, verbose);
    }

    /** COM1's output on {@code stdout} and no input at all ({@code limu replay}: the input comes from the recording). */
    public static SerialConsole outputOnly(OutputStream stdout, PrintWriter err) {
        return new SerialConsole(SerialSpec.parse("stdio"), stdout, null, null, InputKind.NONE, null, err, false);
    }

    /** Where COM1's output goes. */
    public OutputStream output() {
        return output;
    }

    /**
     * Connects the input to {@code machine} just before its run: waits for the first TCP client when asked
     * ({@code ,wait}), switches a terminal to raw mode and starts the threads that read.
     */
    public void attach(Machine machine) throws InterruptedException {
        if (tcp != null && ((SerialSpec.Tcp) spec).waitForClient()) {
            tcp.awaitFirstClient();
            note("serial (COM1): client connected");
        }
        SerialSource source;
        if (inputKind == InputKind.FILE) {
            source = fromFile();
        } else if (inputKind == InputKind.STDIN) {
            source = fromStdin(machine);
        } else {
            source = tcp == null ? null : tcp.input();
        }
        if (source != null) {
            machine.attachSerialInput(source);
        }
    }

    private SerialSource fromFile() {
        try {
            return noteEnd(new FileSource(Files.newInputStream(inputFile), inputFile.toString()));
        } catch (IOException e) {
            throw new IllegalArgumentException("--serial-input " + inputFile + ": cannot read: " + e.getMessage());
        }
    }

    private SerialSource fromStdin(Machine machine) {
        InputStream stdin = new FileInputStream(FileDescriptor.in);
        if (TerminalMode.usableTerminal(0)) {
            terminal = TerminalMode.of(0);
            terminal.enterRaw();
            StreamSource typed = new StreamSource();
            reader("limu-serial-console", () -> readTerminal(stdin, typed, machine));
            return typed;
        }
        if (Files.isRegularFile(Path.of("/proc/self/fd/0"))) {
            return noteEnd(new FileSource(stdin, "stdin"));
        }
        StreamSource piped = new StreamSource();
        reader("limu-serial-stdin", () -> readStream(stdin, piped));
        return noteEnd(piped);
    }

    private static void reader(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);   // blocked in read() when the run ends: it must not keep limu alive
        t.start();
    }

    private static void readStream(InputStream in, StreamSource to) {
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                to.put(buffer, 0, n);
            }
        } catch (IOException | InterruptedException e) {
            // a read error ends the input as its end does
        }
        to.end();
    }

    private void readTerminal(InputStream in, StreamSource to, Machine machine) {
        EscapeKeys keys = new EscapeKeys();
        byte[] buffer = new byte[256];
        byte[] send = new byte[256];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                int m = 0;
                for (int i = 0; i < n; i++) {
                    switch (keys.typed(buffer[i])) {
                        case SEND -> send[m++] = buffer[i];
                        case NONE -> { }
                        case HELP -> {
                            err.print(EscapeKeys.HELP);
                            err.flush();
                        }
                        case QUIT -> {
                            quitRequested = true;
                            machine.requestStop();
                            return;
                        }
                    }
                }
                to.put(send, 0, m);
            }
        } catch (IOException | InterruptedException e) {
            // the terminal went away: no more input, the guest runs on
        }
        to.end();
    }

    /** Under --verbose, one line when the input has ended (the guest runs on). */
    private SerialSource noteEnd(SerialSource source) {
        if (!verbose) {
            return source;
        }
        return new SerialSource() {
            private long taken;
            private boolean noted;

            @Override
            public int take(byte[] into, int offset, int max) {
                int n = source.take(into, offset, max);
                if (n == END && !noted) {
                    noted = true;
                    String what = source instanceof FileSource f ? f.ending() : "input ended";
                    note("serial (COM1): " + what + " after " + taken + " bytes; the guest runs on");
                } else if (n > 0) {
                    taken += n;
                }
                return n;
            }

            @Override
            public void onArrival(Runnable wake) {
                source.onArrival(wake);
            }
        };
    }

    private void note(String message) {
        err.println("limu: " + message);
        err.flush();
    }

    /** True when Ctrl-A x stopped the machine. */
    public boolean quitRequested() {
        return quitRequested;
    }

    /** Puts the terminal back as it was before {@link #attach}; the run is over. */
    public void detach() {
        if (terminal != null) {
            terminal.restore();
        }
    }

    /** {@link #detach()}, then closes the output file and the TCP server. */
    @Override
    public void close() {
        detach();
        try {
            if (outputFile != null) {
                outputFile.close();
            }
        } catch (IOException e) {
            err.println("limu: closing --serial output: " + e.getMessage());
        }
        if (tcp != null) {
            tcp.close();
        }
    }
}
