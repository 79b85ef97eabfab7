/**
 * A per-pool counter of the codes a pool holds (deleted ones included, as they keep their place in the
 * template's space). Generation, import and generate-on-issue move it with one conditional UPDATE
 * (`WHERE codes_total + n <= max_codes`), so `max_codes` holds however many requests race.
 */
export default `
ALTER TABLE promo_pools ADD COLUMN codes_total bigint NOT NULL DEFAULT 0;
UPDATE promo_pools p SET codes_total = (SELECT count(*) FROM promo_codes c WHERE c.pool_id = p.id);
`;
