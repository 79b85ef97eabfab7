import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Button, Card } from '../../components/ui';
import { JobProgress } from '../jobs/JobProgress';

/** CSV import as a background job: upload, then follow its progress; bad rows are listed by row number. */
export function ImportPanel() {
  const [file, setFile] = useState<File | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const client = useQueryClient();
  const form = useApiForm({
    initial: { file: '', match: '', delimiter: '' },
    validate: () => (file ? [] : [{ path: 'file', message: 'choose a CSV file' }]),
    submit: (v) =>
      api.upload<{ job_id: string }>('/profiles/import', new Blob([file!], { type: 'text/csv' }), {
        async: true,
        match: v.match || undefined,
        delimiter: v.delimiter || undefined,
      }),
    onSuccess: (r) => setJobId(r.job_id),
  });
  return (
    <Card title="Import profiles from CSV" testId="import">
      <ApiFormView form={form} className="form form--row">
        <Field name="file" label="CSV file" hint="Columns email, phone, external_id, subscriptions.email, fields.first_name, …">
          <input
            id={`${form.id}-file`}
            type="file"
            accept=".csv,text/csv"
            className="input"
            aria-invalid={form.errorsOf('file').length > 0}
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </Field>
        <Field name="match" label="Match existing by">
          <select {...form.bind('match')} className="input">
            <option value="">external_id, then email, then phone</option>
            <option value="email">email</option>
            <option value="phone">phone</option>
            <option value="external_id">external_id</option>
          </select>
        </Field>
        <Field name="delimiter" label="Delimiter" hint="Comma when empty">
          <input {...form.bind('delimiter')} className="input input--narrow" maxLength={1} placeholder="," />
        </Field>
        <div className="form__actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Start import
          </Button>
        </div>
        <FormProblem />
      </ApiFormView>
      {jobId && (
        <div className="import-job">
          <JobProgress id={jobId} onDone={() => void client.invalidateQueries({ queryKey: ['profiles'] })} />
          <Link to={`/jobs/${jobId}`} className="small">
            Open the job
          </Link>
        </div>
      )}
    </Card>
  );
}
