/** RFC 9457 problem details: the one shape of every error the API returns. */
export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const problemType = (slug: string) => `/problems/${slug}`;

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
  }
  toProblem(): Problem {
    return problem(this.status, this.slug, this.message, this.errors);
  }
}

export function problem(status: number, slug: string, detail: string, errors?: FieldError[]): Problem {
  return {
    type: problemType(slug),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(errors && errors.length ? { errors } : {}),
  };
}

export const badRequest = (errors: FieldError[], detail = 'The request has invalid fields.') =>
  new ProblemError(400, 'invalid-request', detail, errors);
export const notFound = (what: string) => new ProblemError(404, 'not-found', `${what} not found`);
export const conflict = (slug: string, detail: string) => new ProblemError(409, slug, detail);
export const unprocessable = (slug: string, detail: string, errors?: FieldError[]) => new ProblemError(422, slug, detail, errors);
