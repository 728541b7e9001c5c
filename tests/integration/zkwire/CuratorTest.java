// Apache Curator (Debian's libcurator-recipes-java 5.4, unchanged, on
// ZooKeeper's own Java client) against a 3-node zabkeeper ensemble; only the
// connect string differs from a ZooKeeper setup. Its recipes: a mutex, a
// leader latch, a shared counter, CuratorCache (persistent recursive
// watches), a transaction, and the mutex and the latch across the kill of
// the ensemble's leader.
//
//   java -cp CLASSPATH CuratorTest CONNECT_STRING LEADER_HOST:PORT
//
// Run by java_client_test.py (the same driver as JavaClientTest): this
// program prints a line starting with "KILL-LEADER" and waits for one line
// "killed HOST:PORT". Exits 0 after "ok: ...", 1 with "FAIL: ..." on the
// first failed check.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.Stat;

public final class CuratorTest {
  private static String step = "start";

  private static void check(boolean ok, String what) {
    if (!ok) {
      System.out.println("FAIL: [" + step + "] " + what);
      System.out.flush();
      System.exit(1);
    }
  }

  // A sync through c's server: its reads then see every write completed
  // before it (Curator runs sync in the background only).
  private static void fence(CuratorFramework c, String path) throws Exception {
    CountDownLatch synced = new CountDownLatch(1);
    c.sync().inBackground((client, event) -> synced.countDown()).forPath(path);
    check(synced.await(10, TimeUnit.SECONDS), "sync of " + path + " completed");
  }

  private static CuratorFramework client(String hosts) throws Exception {
    CuratorFramework c =
        CuratorFrameworkFactory.builder()
            .connectString(hosts)
            .sessionTimeoutMs(10000)
            .connectionTimeoutMs(5000)
            .retryPolicy(new ExponentialBackoffRetry(100, 10))
            .build();
    c.start();
    check(c.blockUntilConnected(20, TimeUnit.SECONDS), "connected within 20 s");
    return c;
  }

  private static boolean waitFor(java.util.function.BooleanSupplier cond, long ms)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + ms;
    while (System.currentTimeMillis() < deadline) {
      if (cond.getAsBoolean()) return true;
      Thread.sleep(20);
    }
    return cond.getAsBoolean();
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.out.println("usage: CuratorTest CONNECT_STRING LEADER_HOST:PORT");
      System.exit(2);
    }
    String hosts = args[0];
    CuratorFramework a = client(hosts);
    CuratorFramework b = client(hosts);
    List<ConnectionState> aStates = Collections.synchronizedList(new ArrayList<>());
    a.getConnectionStateListenable().addListener((c, s) -> aStates.add(s));

    step = "create and read";
    a.create().creatingParentsIfNeeded().forPath("/cur/cfg/app", "v1".getBytes(StandardCharsets.UTF_8));
    check(new String(b.getData().forPath("/cur/cfg/app"), StandardCharsets.UTF_8).equals("v1"),
        "b reads what a wrote");
    Stat stat = b.checkExists().forPath("/cur/cfg");
    check(stat != null && stat.getNumChildren() == 1, "parent created with one child: " + stat);
    String seq =
        a.create().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath("/cur/cfg/e-", new byte[0]);
    check(seq.startsWith("/cur/cfg/e-") && seq.length() == "/cur/cfg/e-".length() + 10,
        "sequential name: " + seq);

    step = "CuratorCache";
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    CuratorCache cache = CuratorCache.build(b, "/cur/cfg");
    CountDownLatch primed = new CountDownLatch(1);
    cache.listenable().addListener(
        CuratorCacheListener.builder()
            .forCreates(n -> seen.add("create " + n.getPath()))
            .forChanges((o, n) -> seen.add("change " + n.getPath() + " "
                + new String(n.getData(), StandardCharsets.UTF_8)))
            .forDeletes(o -> seen.add("delete " + o.getPath()))
            .forInitialized(primed::countDown)
            .build());
    cache.start();
    check(primed.await(10, TimeUnit.SECONDS), "cache initialized");
    a.setData().forPath("/cur/cfg/app", "v2".getBytes(StandardCharsets.UTF_8));
    a.create().forPath("/cur/cfg/new", new byte[0]);
    // CuratorCache answers NodeCreated with a getData; a delete that lands
    // before that read makes the cache skip both the create and the delete
    // (the same on Apache ZooKeeper), so delete only once the create is seen.
    check(waitFor(() -> seen.contains("change /cur/cfg/app v2") && seen.contains("create /cur/cfg/new"),
              10000),
        "cache saw the change and the create: " + seen);
    a.delete().forPath("/cur/cfg/new");
    check(waitFor(() -> seen.contains("delete /cur/cfg/new"), 10000),
        "cache saw the delete: " + seen);

    step = "transaction";
    CuratorOp op1 = a.transactionOp().create().forPath("/cur/tx1", new byte[0]);
    CuratorOp op2 = a.transactionOp().setData().forPath("/cur/cfg/app", "v3".getBytes(StandardCharsets.UTF_8));
    List<CuratorTransactionResult> results = a.transaction().forOperations(op1, op2);
    check(results.size() == 2 && b.checkExists().forPath("/cur/tx1") != null, "transaction applied");
    boolean failed = false;
    try {
      a.transaction().forOperations(
          a.transactionOp().create().forPath("/cur/tx2", new byte[0]),
          a.transactionOp().check().withVersion(99).forPath("/cur/cfg/app"));
    } catch (org.apache.zookeeper.KeeperException.BadVersionException e) {
      failed = true;
    }
    check(failed && b.checkExists().forPath("/cur/tx2") == null, "a failed transaction applies nothing");

    step = "DistributedAtomicLong";
    DistributedAtomicLong ca = new DistributedAtomicLong(a, "/cur/counter", new RetryNTimes(50, 10));
    DistributedAtomicLong cb = new DistributedAtomicLong(b, "/cur/counter", new RetryNTimes(50, 10));
    Thread[] incs = new Thread[2];
    AtomicBoolean incFailed = new AtomicBoolean(false);
    for (int t = 0; t < 2; ++t) {
      DistributedAtomicLong counter = t == 0 ? ca : cb;
      incs[t] = new Thread(() -> {
        try {
          for (int i = 0; i < 25; ++i) {
            AtomicValue<Long> v = counter.increment();
            if (!v.succeeded()) incFailed.set(true);
          }
        } catch (Exception e) {
          incFailed.set(true);
        }
      });
      incs[t].start();
    }
    for (Thread t : incs) t.join();
    check(!incFailed.get(), "every increment succeeded");
    // b's last increments may have gone through another server than a's,
    // and a follower may lag (ZooKeeper's read rule): a syncs first.
    fence(a, "/cur/counter");
    final long counted = ca.get().postValue();
    check(counted == 50L, "counter is 50: " + counted);

    step = "mutex";
    InterProcessMutex ma = new InterProcessMutex(a, "/cur/lock");
    InterProcessMutex mb = new InterProcessMutex(b, "/cur/lock");
    check(ma.acquire(5, TimeUnit.SECONDS), "a takes the lock");
    check(!mb.acquire(300, TimeUnit.MILLISECONDS), "b cannot while a holds it");

    step = "leader latch";
    LeaderLatch la = new LeaderLatch(a, "/cur/leader", "a");
    la.start();
    check(la.await(10, TimeUnit.SECONDS), "a leads");
    LeaderLatch lb = new LeaderLatch(b, "/cur/leader", "b");
    // Whether b ever led, also for a moment (hasLeadership() is only now).
    AtomicBoolean bLed = new AtomicBoolean(false);
    lb.addListener(new LeaderLatchListener() {
      @Override public void isLeader() { bLed.set(true); }
      @Override public void notLeader() {}
    });
    lb.start();
    Thread.sleep(300);
    check(!lb.hasLeadership(), "b does not lead while a does");

    step = "leader kill";
    System.out.println("KILL-LEADER");
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String reply = in.readLine();
    check(reply != null && reply.startsWith("killed "), "driver's reply: " + reply);
    // Writes go through once a new leader is up (Curator retries).
    a.setData().forPath("/cur/cfg/app", "after-kill".getBytes(StandardCharsets.UTF_8));
    check(waitFor(() -> seen.contains("change /cur/cfg/app after-kill"), 10000),
        "b's cache sees a write after the kill: " + seen);
    check(!aStates.contains(ConnectionState.LOST), "a's session was never lost: " + aStates);
    check(ma.isAcquiredInThisProcess(), "a still holds the lock");
    // A disconnect suspends a's latch (Curator drops leadership on
    // SUSPENDED); on RECONNECTED it re-reads the children in the background
    // and, its node being the lowest still, leads again. b never leads.
    check(waitFor(la::hasLeadership, 10000), "a leads again after reconnecting");
    check(!bLed.get() && !lb.hasLeadership(), "b never led");
    check(!mb.acquire(300, TimeUnit.MILLISECONDS), "b still cannot take the lock");
    ma.release();
    check(mb.acquire(10, TimeUnit.SECONDS), "b takes the lock once a lets go");
    mb.release();
    la.close();
    check(lb.await(10, TimeUnit.SECONDS), "b leads once a's latch closes");
    lb.close();

    cache.close();
    a.close();
    b.close();
    System.out.println("ok: Curator mutex, leader latch, counter, CuratorCache and transactions,"
        + " across a leader kill");
  }
}
