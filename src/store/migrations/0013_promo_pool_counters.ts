/**
 * A per-pool counter of the codes a pool holds (deleted ones included, as they keep their place in the
 * template's space). Generation, import and generate-on-issue move it with one conditional UPDATE
 * (`WHERE codes_total + n <= max_codes`), so `max_codes` holds however many requests race.
 * The (pool, seq) index lets the code list and the export page through a pool of millions in creation
 * order without sorting the whole pool for every page.
 */
export default `
ALTER TABLE promo_pools ADD COLUMN codes_total bigint NOT NULL DEFAULT 0;
UPDATE promo_pools p SET codes_total = (SELECT count(*) FROM promo_codes c WHERE c.pool_id = p.id);
CREATE INDEX promo_codes_pool_seq ON promo_codes (pool_id, seq);
`;
