package limu.emulator.unicorn;

/**
 * What one vCPU's engine asks of the machine while it runs. Called by the JNI
 * shim on the run-loop thread, from inside the guest's instruction stream, so
 * implementations must be quick and must not call back into the engine.
 */
public interface CpuHooks {
    /** A guest IN of {@code size} bytes (1, 2, 4) from {@code port}. */
    int portIn(int port, int size);

    /** A guest OUT; returns true when the machine must stop after this instruction. */
    boolean portOut(int port, int size, int value);
}
