import { Icon } from '../../components/icons';
import { Card, Empty, PageHeader } from '../../components/ui';
import type { Section } from '../../sections';

export default function ComingSoon({ section }: { section: Section }) {
  return (
    <>
      <PageHeader title={section.label} subtitle={section.description} />
      <Card>
        <Empty icon={<Icon name={section.icon} size={28} />} title="Coming soon">
          This screen is on its way. Until then, everything in {section.label} is available through the API — see the{' '}
          <a href="/api/docs" target="_blank" rel="noreferrer">
            API reference
          </a>
          .
        </Empty>
      </Card>
    </>
  );
}
