// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;

/**
 * COM1 as a TCP server for one client at a time, as QEMU's {@code -serial tcp::PORT,server}: the client's bytes are
 * the UART's input, the UART's output goes to the client. Output while no client is connected is dropped (a line
 * with nobody on it); a second client waits in the listen backlog until the first one leaves. The input never ends:
 * another client may always come.
 */
final class TcpSerial implements AutoCloseable {
    private final ServerSocket server;
    private final StreamSource input = new StreamSource();
    private final Object clientLock = new Object();
    private Socket client;
    private OutputStream clientOut;
    private boolean everConnected;
    private volatile boolean closed;

    private TcpSerial(ServerSocket server) {
        this.server = server;
        Thread t = new Thread(this::serve, "limu-serial-tcp");
        t.setDaemon(true);
        t.start();
    }

    static TcpSerial listen(InetSocketAddress address) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        try {
            s.bind(address, 1);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new TcpSerial(s);
    }

    /** The port listened on (the one the system chose for port 0). */
    int port() {
        return server.getLocalPort();
    }

    String host() {
        return server.getInetAddress().getHostAddress();
    }

    StreamSource input() {
        return input;
    }

    /** Waits until the first client has connected (for {@code ,wait}). */
    void awaitFirstClient() throws InterruptedException {
        synchronized (clientLock) {
            while (!everConnected && !closed) {
                clientLock.wait();
            }
        }
    }

    /** Where COM1's output goes: to the client connected now, else nowhere. */
    OutputStream output() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (clientLock) {
                    if (clientOut == null) {
                        return;
                    }
                    try {
                        clientOut.write(b, off, len);
                    } catch (IOException e) {
                        drop();   // the client went away mid-write: its reader notices too
                    }
                }
            }

            @Override
            public void flush() {
                synchronized (clientLock) {
                    if (clientOut == null) {
                        return;
                    }
                    try {
                        clientOut.flush();
                    } catch (IOException e) {
                        drop();
                    }
                }
            }
        };
    }

    private void serve() {
        byte[] buffer = new byte[4096];
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
                s.setTcpNoDelay(true);   // a typed key's echo goes out at once
            } catch (IOException e) {
                return;   // closed
            }
            InputStream in;
            synchronized (clientLock) {
                try {
                    in = s.getInputStream();
                    clientOut = s.getOutputStream();
                } catch (IOException e) {
                    closeQuietly(s);
                    continue;
                }
                client = s;
                everConnected = true;
                clientLock.notifyAll();
            }
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    input.put(buffer, 0, n);
                }
            } catch (SocketException e) {
                // reset by the client or closed by drop(): the next one may come
            } catch (IOException e) {
                // as above
            } catch (InterruptedException e) {
                return;
            }
            synchronized (clientLock) {
                if (client == s) {
                    drop();
                }
            }
        }
    }

    /** Forgets the connected client (clientLock held). */
    private void drop() {
        if (client != null) {
            closeQuietly(client);
        }
        client = null;
        clientOut = null;
    }

    @Override
    public void close() {
        closed = true;
        synchronized (clientLock) {
            drop();
            clientLock.notifyAll();
        }
        try {
            server.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
