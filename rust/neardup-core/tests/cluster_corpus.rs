//! The corpus pipeline (band keys → buckets → verification → components) gives the same clusters as the
//! all-pairs reference `cluster::dedup`, in memory and when sharded as a distributed run shards it.

use neardup_core::cluster::bands::{band_keys, partition, Banding, Buckets, Entries};
use neardup_core::cluster::verify::{
    cluster_buckets, components, shingle_sets, SetShards, SetsRef,
};
use neardup_core::cluster::{dedup, dedup_corpus, UnionFind};
use neardup_core::lsh::{Key, LshIndex};
use neardup_core::minhash::{MinHasher, Scheme};
use neardup_core::text::shingle::jaccard_sorted;
use neardup_core::text::shingle::ShingleConfig;
use proptest::prelude::*;

fn corpus(seed: u64, n: usize, words: usize) -> Vec<String> {
    // Small vocabulary, many edited copies: plenty of candidates, chains and false positives.
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut docs: Vec<Vec<usize>> = Vec::new();
    for _ in 0..n {
        if !docs.is_empty() && next() % 3 != 0 {
            let mut d = docs[next() % docs.len()].clone();
            for _ in 0..next() % 4 {
                let i = next() % d.len().max(1);
                if d.is_empty() {
                    break;
                }
                d[i] = next() % 50;
            }
            docs.push(d);
        } else {
            docs.push((0..words).map(|_| next() % 50).collect());
        }
    }
    docs.iter()
        .map(|d| {
            d.iter()
                .map(|w| format!("w{w}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn sharded(
    texts: &[String],
    cfg: ShingleConfig,
    mh: &MinHasher,
    t: f64,
    shards: usize,
    parts: usize,
) -> Vec<Vec<u64>> {
    let banding = Banding::for_threshold(t, mh.num_perm).unwrap();
    let size = texts.len().div_ceil(shards).max(1);
    // Map: keys per shard, documents numbered (shard << 32) | local, dealt to reducers.
    let mut reducers = vec![Entries::default(); parts];
    for (s, chunk) in texts.chunks(size).enumerate() {
        let (keys, empty) = band_keys(mh, &banding, chunk).unwrap();
        for (p, e) in partition(&keys, banding.bands, &empty, (s as u64) << 32, parts)
            .unwrap()
            .into_iter()
            .enumerate()
        {
            reducers[p].band.extend(e.band);
            reducers[p].key.extend(e.key);
            reducers[p].doc.extend(e.doc);
        }
    }
    let buckets: Vec<Buckets> = reducers
        .iter()
        .map(|r| Buckets::from_entries(&r.band, &r.key, &r.doc).unwrap())
        .collect();
    // Sets per shard, for the documents some reducer needs.
    let mut stores = Vec::new();
    for (s, chunk) in texts.chunks(size).enumerate() {
        let mut need: Vec<u64> = buckets
            .iter()
            .flat_map(|b| b.members())
            .filter(|d| d >> 32 == s as u64)
            .collect();
        need.sort_unstable();
        need.dedup();
        let chosen: Vec<&str> = need
            .iter()
            .map(|d| chunk[(d & 0xffff_ffff) as usize].as_str())
            .collect();
        stores.push(shingle_sets(&cfg, &chosen, &need).unwrap());
    }
    let views: Vec<SetsRef> = stores.iter().map(|s| s.view()).collect();
    let lookup = SetShards::new(views).unwrap();
    let mut forest = Vec::new();
    for b in &buckets {
        forest.extend(cluster_buckets(b, &lookup, t).unwrap());
    }
    let offsets: Vec<u64> = texts
        .chunks(size)
        .scan(0u64, |acc, c| {
            let o = *acc;
            *acc += c.len() as u64;
            Some(o)
        })
        .collect();
    components(&forest)
        .unwrap()
        .into_iter()
        .map(|g| {
            g.into_iter()
                .map(|d| offsets[(d >> 32) as usize] + (d & 0xffff_ffff))
                .collect()
        })
        .collect()
}

/// Every pair sharing a band of an LSH index with the same banding, verified exactly, then components.
fn reference(texts: &[String], cfg: ShingleConfig, mh: &MinHasher, t: f64) -> Vec<Vec<u64>> {
    let banding = Banding::for_threshold(t, mh.num_perm).unwrap();
    let mut index = LshIndex::new(mh.num_perm, banding.bands, banding.rows).unwrap();
    let keys = (0..texts.len() as i64).map(Key::Int).collect();
    index.insert_many(keys, &mh.signatures(texts)).unwrap();
    let sets: Vec<Vec<u64>> = texts.iter().map(|x| cfg.shingle_set(x)).collect();
    let mut uf = UnionFind::new(texts.len());
    for (a, b) in index.candidate_pairs() {
        if jaccard_sorted(&sets[a as usize], &sets[b as usize]) >= t {
            uf.union(a, b);
        }
    }
    uf.groups()
        .into_iter()
        .map(|g| g.into_iter().map(u64::from).collect())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn corpus_pipeline_equals_reference(
        seed in any::<u64>(),
        n in 0usize..120,
        words in 0usize..12,
        t in prop::sample::select(vec![0.3, 0.5, 0.7, 0.8, 0.9]),
        shards in 1usize..5,
        parts in 1usize..4,
    ) {
        let cfg = ShingleConfig::new(2, neardup_core::text::shingle::Unit::Word, true, 1).unwrap();
        let mh = MinHasher::new(64, cfg, Scheme::Oph).unwrap();
        let texts = corpus(seed, n, words);
        let want = reference(&texts, cfg, &mh, t);
        prop_assert_eq!(&dedup_corpus(&texts, cfg, &mh, t).unwrap(), &want);
        prop_assert_eq!(&sharded(&texts, cfg, &mh, t, shards, parts), &want);
    }
}

#[test]
fn every_pair_the_all_pairs_pipeline_finds_is_found() {
    // `cluster::dedup` bands with equal error weights; the corpus banding favours recall, so its clusters
    // can only be coarser.
    let cfg = ShingleConfig::default();
    let mh = MinHasher::new(128, cfg, Scheme::Oph).unwrap();
    let texts = corpus(5, 400, 20);
    let ours = dedup_corpus(&texts, cfg, &mh, 0.8).unwrap();
    let mut label = vec![usize::MAX; texts.len()];
    for (k, c) in ours.iter().enumerate() {
        for &d in c {
            label[d as usize] = k;
        }
    }
    for (a, b, _) in dedup(&texts, cfg, &mh, 0.8).unwrap().pairs {
        assert_ne!(label[a as usize], usize::MAX);
        assert_eq!(label[a as usize], label[b as usize]);
    }
}

#[test]
fn many_identical_documents_are_cheap() {
    let cfg = ShingleConfig::default();
    let mh = MinHasher::new(128, cfg, Scheme::Oph).unwrap();
    let mut texts: Vec<String> =
        vec!["the same boilerplate text repeated over and over".into(); 50_000];
    texts.push("something else entirely different".into());
    texts.push("".into());
    let c = dedup_corpus(&texts, cfg, &mh, 0.8).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].len(), 50_000);
}

#[test]
fn a_large_bucket_of_near_duplicates_is_linear() {
    let cfg = ShingleConfig::default();
    let mh = MinHasher::new(128, cfg, Scheme::Oph).unwrap();
    let base: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
    let texts: Vec<String> = (0..20_000)
        .map(|i| {
            let mut d = base.clone();
            d[i % 200] = format!("x{i}");
            d.join(" ")
        })
        .collect();
    let c = dedup_corpus(&texts, cfg, &mh, 0.8).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].len(), 20_000);
}
