// SPDX-License-Identifier: GPL-2.0-or-later
package limu.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.support.AnnotationConsumer;

/**
 * Feeds a {@code @ParameterizedTest} one {@link Path} per kernel file in
 * {@link #dir()} whose name matches {@link #glob()}, sorted by name:
 *
 * <pre>{@code
 * @ParameterizedTest
 * @KernelFiles(dir = "kernel-images/out", glob = "*-release.elf")
 * void boots(Path kernel) { ... }
 * }</pre>
 *
 * A relative {@code dir} is resolved against the system property {@code limu.home} when it is set.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ArgumentsSource(KernelFiles.Provider.class)
public @interface KernelFiles {
    String dir();

    String glob() default "*.elf";

    /** Lists the matching files; an empty or missing directory is an error, not zero tests. */
    final class Provider implements ArgumentsProvider, AnnotationConsumer<KernelFiles> {
        private KernelFiles annotation;

        @Override
        public void accept(KernelFiles a) {
            this.annotation = a;
        }

        @Override
        public Stream<? extends Arguments> provideArguments(ExtensionContext context) throws Exception {
            Path dir = Path.of(annotation.dir());
            String home = System.getProperty("limu.home");
            if (!dir.isAbsolute() && home != null) {
                dir = Path.of(home).resolve(dir);
            }
            PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + annotation.glob());
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException("@KernelFiles: no directory " + dir);
            }
            try (Stream<Path> files = Files.list(dir)) {
                var list = files.filter(p -> Files.isRegularFile(p) && m.matches(p.getFileName())).sorted().toList();
                if (list.isEmpty()) {
                    throw new IllegalStateException("@KernelFiles: nothing matches " + annotation.glob() + " in " + dir);
                }
                return list.stream().map(Arguments::of);
            }
        }
    }
}
