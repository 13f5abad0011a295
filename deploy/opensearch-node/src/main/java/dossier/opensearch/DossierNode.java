package dossier.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A single-node OpenSearch built from Maven Central jars, for Dossier's tests and development.
 *
 * <pre>
 *   java -Xms512m -Xmx512m -cp 'DIR/*' dossier.opensearch.DossierNode \
 *       path.home=/tmp/os http.port=9200 transport.port=9300 [any.other.setting=value ...]
 * </pre>
 *
 * Every argument is an OpenSearch setting {@code key=value}; only {@code path.home} is required.
 * The defaults below make a loopback-only, single-node cluster whose data and logs live under
 * path.home. There is no security plugin on the classpath, so the HTTP API is plain and open.
 * SIGTERM (or Ctrl-C) closes the node cleanly through a shutdown hook; SIGKILL is a crash.
 */
public final class DossierNode {

    /** The modules a distribution would load from modules/, here taken from the classpath. */
    private static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,         // HTTP and transport
        CommonAnalysisPlugin.class, // mapping, cjk_width, cjk_bigram, lowercase, asciifolding
        ReindexPlugin.class         // _delete_by_query
    );

    private DossierNode() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> given = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                System.err.println("usage: DossierNode path.home=DIR [setting=value ...]; got: " + arg);
                System.exit(2);
            }
            given.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        String home = given.get("path.home");
        if (home == null) {
            System.err.println("usage: DossierNode path.home=DIR [setting=value ...]");
            System.exit(2);
        }

        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("cluster.name", "dossier");
        settings.put("node.name", "dossier-node");
        settings.put("network.host", "127.0.0.1");
        settings.put("discovery.type", "single-node");
        settings.put("path.data", home + "/data");
        settings.put("path.logs", home + "/logs");
        // A nearly full disk must not make the index read-only or leave shards unassigned in tests.
        settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
        settings.putAll(given);

        // Log4j reads these when it starts, i.e. when the first OpenSearch class asks for a logger;
        // this class deliberately touches none before here (the node is a nested class, loaded later).
        Path logs = Path.of(settings.get("path.logs"));
        Files.createDirectories(logs);
        System.setProperty("dossier.log.dir", logs.toAbsolutePath().toString());
        System.setProperty("log4j.shutdownHookEnabled", "false"); // keep logging while the node closes
        System.setProperty("log4j2.disable.jmx", "true");

        EmbeddedNode node = new EmbeddedNode(Settings.builder().loadFromMap(settings).build());
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                org.apache.logging.log4j.LogManager.shutdown();
                closed.countDown();
            }
        }, "dossier-node-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1); // runs the hook, which closes what did start
        }
        System.out.println("dossier-node started, pid " + ProcessHandle.current().pid());
        closed.await(); // the node's threads may all be daemons: keep the JVM up until closed
    }

    /** Node's protected constructor is the one that accepts plugins from the classpath. */
    private static final class EmbeddedNode extends Node {
        EmbeddedNode(Settings settings) {
            super(
                InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "dossier-node"),
                PLUGINS,
                true // forbid private index settings, as a real node does
            );
        }
    }
}
